"""Scores the clinician sorts by: PHQ-9 and GAD-7 totals and bands, and antidepressant trials.

Screening is not diagnosis: these numbers are for the clinic's records and are
never shown to the person as a result.
"""

from __future__ import annotations

from typing import Any

from bot.intake import medications
from bot.intake.answers import NONE
from bot.intake.questions import Catalogue, Instrument


def total(instrument: Instrument, answers: dict[str, Any]) -> int | None:
    """The sum of the item scores, or None unless every item has a 0-3 score (a skipped item voids the total)."""
    scores = [answers.get(instrument.item_slot(n)) for n in range(1, len(instrument.items) + 1)]
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in scores):
        return None
    return sum(scores)  # type: ignore[arg-type]


def band(instrument: Instrument, score: int | None) -> str | None:
    if score is None:
        return None
    return next(label for low, high, label in instrument.bands if low <= score <= high)


def item_score(answers: dict[str, Any], slot: str) -> int | None:
    value = answers.get(slot)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def antidepressant_trials(catalogue: Catalogue, answers: dict[str, Any]) -> int | None:
    """How many different antidepressants the person has tried, now or before (the treatment-resistance signal).

    Names recognised in any medication answer count once each; a number the person
    gives ("about 5") counts when it is larger. None when nothing is known.
    """
    generics: set[str] = set()
    stated = 0
    known = False
    for question in catalogue.by_slot.values():
        if question.kind != "medications":
            continue
        value = answers.get(question.slot)
        if isinstance(value, dict):
            generics |= {m["generic"] for m in value.get("medications", []) if medications.is_antidepressant(m["generic"])}
            stated = max(stated, int(value.get("stated_count") or 0) if question.counts_trials else 0)
            known = known or question.counts_trials
        elif question.counts_trials and value == NONE:
            known = True
    count = max(len(generics), stated)
    return count if known or count else None
