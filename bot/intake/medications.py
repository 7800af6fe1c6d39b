"""Medicines in a patient's own words, read with the project's spaCy pipeline.

The pipeline's EntityRuler (bot/language.py) labels every brand, generic name and
common misspelling from medications.yml as MEDICATION with the generic name as its
id, so "klonopin", "Lamictal 200mg" and "adderall xr" all resolve. This module
adds what the ruler cannot know: the dose written next to a name, and the
classes (benzodiazepine, MAOI ...) that the clinician flags are keyed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from spacy.tokens import Doc

from bot.language import MEDICATION_LABEL, MEDICATIONS_FILE

ANTIDEPRESSANT_CLASSES = frozenset({"ssri", "snri", "tca", "maoi", "atypical_antidepressant"})
DOSE_UNITS = frozenset({"mg", "mcg", "µg", "ug", "g", "ml", "iu", "unit", "units", "milligrams", "milligram", "micrograms"})


@dataclass(frozen=True)
class Mention:
    """A medicine named in a message: its generic name, the words used, and a dose if one followed."""

    generic: str
    said: str
    dose: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"generic": self.generic, "said": self.said, "dose": self.dose}


@cache
def classes_by_generic(path: Path = MEDICATIONS_FILE) -> dict[str, frozenset[str]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {str(e["generic"]).lower(): frozenset(e.get("classes") or ()) for e in entries}


def is_antidepressant(generic: str) -> bool:
    return bool(classes_by_generic().get(generic, frozenset()) & ANTIDEPRESSANT_CLASSES)


def _dose_after(doc: Doc, end: int) -> str | None:
    """A dose such as "200 mg" or "0.5mg" written right after a medicine's name."""
    if end + 1 < len(doc) and doc[end].like_num and doc[end + 1].lower_ in DOSE_UNITS:
        return f"{doc[end].text} {doc[end + 1].lower_}"
    return None


def mentions(doc: Doc) -> list[Mention]:
    """Each medicine in the message once, in the order named, with the first dose given for it."""
    found: dict[str, Mention] = {}
    for ent in doc.ents:
        if ent.label_ != MEDICATION_LABEL:
            continue
        dose = _dose_after(doc, ent.end)
        generic = ent.ent_id_ or ent.text.lower()
        if generic not in found or (dose and not found[generic].dose):
            found[generic] = Mention(generic=generic, said=ent.text, dose=dose)
    return list(found.values())
