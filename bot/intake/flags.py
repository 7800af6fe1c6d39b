"""Flags for the clinician: what in an intake needs a clinician's eyes before the consultation.

Every flag's wording comes from the curated files (contraindications.yml,
interactions.yml) or is stated here once. Flags are stored encrypted with the
intake and never shown to the person: the clinician decides, the assistant
never says anyone is or is not eligible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.intake import medications
from bot.intake.answers import SKIPPED, UNSURE, YES, age_on
from bot.intake.questions import INTAKE_DIR, Catalogue
from bot.intake.scoring import item_score

INTERACTIONS_FILE = INTAKE_DIR / "interactions.yml"
ITEM_NINE = "phq9_9"
ADULT_AGE = 18


@dataclass(frozen=True)
class Flag:
    key: str
    level: str  # urgent | label | caution | interaction | info
    text: str
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def interactions(path: Path = INTERACTIONS_FILE) -> tuple[dict[str, Any], ...]:
    return tuple(yaml.safe_load(path.read_text(encoding="utf-8")) or ())


def _current_medications(catalogue: Catalogue, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Medicines taken now: the medication answers that do not count past trials."""
    found: list[dict[str, Any]] = []
    for question in catalogue.by_slot.values():
        value = answers.get(question.slot)
        if question.kind == "medications" and not question.counts_trials and isinstance(value, dict):
            found += value.get("medications", [])
    return found


def interaction_flags(catalogue: Catalogue, answers: dict[str, Any]) -> list[Flag]:
    current = _current_medications(catalogue, answers)
    flags = []
    for rule in interactions():
        match = rule["match"]
        classes = set(match.get("classes") or ())
        generics = set(match.get("generics") or ())
        hits = [m for m in current if m["generic"] in generics or classes & medications.classes_by_generic().get(m["generic"], set())]
        if hits:
            listed = ", ".join(m["generic"] + (f" ({m['said']})" if m["said"].lower() != m["generic"] else "") for m in hits)
            flags.append(Flag(rule["key"], "interaction", f"{rule['flag']} Listed: {listed}.", rule.get("source")))
    return flags


def screening_flags(catalogue: Catalogue, answers: dict[str, Any]) -> list[Flag]:
    """A yes, and a "not sure" (routed like a yes), to any medical-history screening question."""
    flags = []
    skipped = []
    for slot, entry in catalogue.screening.items():
        value = answers.get(slot)
        if value in {YES, UNSURE}:
            note = "" if value == YES else " (The patient answered not sure.)"
            flags.append(Flag(slot, str(entry["level"]), f"{entry['flag']}{note}", entry.get("source")))
        elif value == SKIPPED:
            skipped.append(catalogue.question(slot).label)
    if skipped:
        flags.append(Flag("screening_skipped", "info", f"Medical-history questions the patient skipped: {', '.join(skipped)}."))
    return flags


def item_nine_flags(catalogue: Catalogue, answers: dict[str, Any]) -> list[Flag]:
    score = item_score(answers, ITEM_NINE)
    if score:
        answer = catalogue.question(ITEM_NINE).options[score].label
        return [
            Flag(
                ITEM_NINE,
                "urgent",
                f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered '{answer}' (score {score}). "
                "The assistant showed crisis resources at once. Needs prompt clinician follow-up and a suicide-risk "
                "assessment (e.g. C-SSRS); item 9 is not a risk assessment on its own.",
                "ketamine-facts.md §7a, §7b — PHQ-9 item 9 > 0 requires prompt clinician follow-up (Simon et al. 2013)",
            )
        ]
    if answers.get(ITEM_NINE) == SKIPPED:
        return [Flag(ITEM_NINE, "caution", "PHQ-9 item 9 (thoughts of self-harm) was skipped; ask about it at follow-up.")]
    return []


def age_flags(answers: dict[str, Any], today: date) -> list[Flag]:
    born = answers.get("date_of_birth")
    if not isinstance(born, str) or born == SKIPPED:
        return [Flag("age_unknown", "info", "No date of birth given; confirm age (most clinics treat adults 18+).")]
    age = age_on(born, today)
    if age < ADULT_AGE:
        return [Flag("under_18", "caution", f"Age {age} from the date of birth given: under 18 (most clinics treat adults 18+).")]
    return []


def clinician_flags(catalogue: Catalogue, answers: dict[str, Any], today: date) -> list[Flag]:
    """Every flag for one intake, most urgent first."""
    flags = item_nine_flags(catalogue, answers) + age_flags(answers, today)
    flags += screening_flags(catalogue, answers) + interaction_flags(catalogue, answers)
    order = {"urgent": 0, "label": 1, "caution": 2, "interaction": 3, "info": 4}
    return sorted(flags, key=lambda f: order.get(f.level, 5))
