"""Rasa's file importer, plus the questionnaire's domain.

config.yml names this importer, so every Rasa command that reads config.yml
(train, data validate, test) sees one domain: domain.yml plus
bot/intake/domain.yml plus the forms, slots and questions generated from the
curated files in bot/intake/. Stories and rules are read against that whole
domain. Nothing generated is written to disk, so nothing can go stale.
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.utils.common import cached_method

from bot.intake.domain import intake_domain
from bot.intake.questions import load


class ProjectImporter(RasaFileImporter):
    """The project's files as Rasa reads them by default, with the questionnaire's domain merged in."""

    @cached_method
    def get_domain(self) -> Domain:
        return super().get_domain().merge(Domain.from_dict(intake_domain(load())))
