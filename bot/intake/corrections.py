"""Corrections in a person's own words: "actually my phone is ...", "change my date of birth".

A correction names an earlier answer by the words people use for it (a
question's label and aliases in questions.yml, or "PHQ-9 question 3") and
either gives the new answer or asks to answer again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches

from bot.intake.answers import tidy
from bot.intake.questions import Catalogue, Question

_TRIGGER = re.compile(
    r"(?:(?:oh|oops|sorry|wait|hang on|no)[,!.]?\s+)*"
    r"(?:actually|correction|i meant|i mean|update|change|fix|edit|correct|i made a mistake(?: in| on| with)?"
    r"|(?:can|could|may) i (?:change|fix|correct|update)|i (?:want|need|would like|'?d like) to (?:change|fix|correct|update)"
    r"|please (?:change|fix|correct|update))\b[:,]?\s*",
    re.I,
)
_FIELD_VALUE = re.compile(r"(?:my |the )?(?P<field>[\w\s'-]+?)\s*(?:is actually|should be|is now|is|was|=|:|->|to)\s+(?P<value>.+)", re.I)
_MY_FIELD_IS = re.compile(r"my (?P<field>[\w\s'-]+?) (?:is|should be) (?P<value>.+)", re.I)
_ITEM = re.compile(r"\b(phq|gad)(?:\s*-?\s*(?:9|7))?\s*(?:question|q|item|number|no\.?|#)\s*(\d)\b|\b(phq|gad)\s*-?\s*(?:9|7)\s+(\d)\b")
_INSTRUMENT = re.compile(r"\b(?:phq|gad)")
_FILLER = re.compile(r"^(?:my|the|answer (?:for|to)|answer)\s+|\s+(?:answer|please|again)$")


@dataclass(frozen=True)
class Correction:
    """Which answer to change, and the new answer as typed (None: ask that question again)."""

    slot: str
    text: str | None = None


def _names(question: Question) -> tuple[str, ...]:
    return (question.label, *question.aliases)


def field_slot(catalogue: Catalogue, words: str) -> str | None:
    """The slot a person means by `words` ("cell number", "birthday", "phq-9 question 3"), if any."""
    said = tidy(words)
    while _FILLER.search(said):
        said = _FILLER.sub("", said).strip()
    # The whole name, not a name inside longer words: on the review screen "phq-9 question 3 several days" is tried as
    # "phq-9 question 3 several" + "days" before "phq-9 question 3" + "several days".
    item = _ITEM.fullmatch(said)
    if item:
        instrument = (item.group(1) or item.group(3)) + ("9" if (item.group(1) or item.group(3)) == "phq" else "7")
        slot = f"{instrument}_{item.group(2) or item.group(4)}"
        return slot if slot in catalogue.by_slot else None
    names: dict[str, str] = {}
    for slot in catalogue.answer_slots:
        for name in _names(catalogue.question(slot)):
            names.setdefault(tidy(name), slot)
    if said in names:
        return names[said]
    if _INSTRUMENT.search(said):
        # Typo tolerance would read "phq-9 question" as question 9 and "phq-9 question 3 several" as question 3.
        return None
    close = get_close_matches(said, list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def strip_trigger(text: str) -> str:
    """The text after "actually" / "sorry, I meant": what to read as the current answer."""
    trigger = _TRIGGER.match(text.strip())
    return text.strip()[trigger.end() :] if trigger else text.strip()


def find_correction(catalogue: Catalogue, text: str) -> Correction | None:
    said = text.strip()
    trigger = _TRIGGER.match(said)
    if trigger is None:
        plain = _MY_FIELD_IS.fullmatch(said.rstrip("."))
        slot = field_slot(catalogue, plain.group("field")) if plain else None
        return Correction(slot, plain.group("value").strip()) if plain and slot else None
    rest = said[trigger.end() :].strip().rstrip(".")
    pair = _FIELD_VALUE.fullmatch(rest)
    if pair:
        slot = field_slot(catalogue, pair.group("field"))
        if slot:
            return Correction(slot, pair.group("value").strip())
    slot = field_slot(catalogue, rest)
    return Correction(slot) if slot else None


def field_and_value(catalogue: Catalogue, text: str) -> Correction | None:
    """A field name followed by its new answer, as typed on the review screen: "phone 555-123-4567"."""
    words = text.strip().rstrip(".").split()
    # A field is named in a few words (plus fillers such as "my" or "the"): trying every split of a 2,000-character
    # message took a third of a second of the action server's time.
    longest = max(len(name.split()) for slot in catalogue.answer_slots for name in _names(catalogue.question(slot))) + 4
    for split in range(min(len(words) - 1, longest), 0, -1):
        slot = field_slot(catalogue, " ".join(words[:split]))
        if slot:
            return Correction(slot, " ".join(words[split:]).lstrip(":=- "))
    return None
