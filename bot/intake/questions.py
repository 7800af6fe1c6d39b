"""The questionnaire as data: sections, questions and how each answer is read.

One catalogue feeds everything that must agree with everything else: the Rasa
domain (bot/intake/domain.py), the validators (actions/intake_forms.py), the
review screen and the stored record. It is read from `questions.yml` and from
the curated files next to it (questionnaires.yml, contraindications.yml), so a
PHQ-9 item or a screening question exists in exactly one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge import load_clinic

INTAKE_DIR = Path(__file__).resolve().parent
QUESTIONS_FILE = INTAKE_DIR / "questions.yml"
QUESTIONNAIRES_FILE = INTAKE_DIR / "questionnaires.yml"
CONTRAINDICATIONS_FILE = INTAKE_DIR / "contraindications.yml"
KINDS = frozenset(
    {
        "consent", "name", "date_of_birth", "phone", "email", "us_state", "choice", "yes_no",
        "scale", "text", "medications", "weight", "emergency_contact", "review",
    }
)  # fmt: skip
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class CatalogueError(Exception):
    """questions.yml or a file it includes is malformed; the message says where."""


@dataclass(frozen=True)
class Option:
    """One answer to a multiple-choice question: its label, and other words that pick it."""

    label: str
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    slot: str
    kind: str
    section: str
    ask: str
    label: str
    sms: str | None = None
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    none_ok: bool = False
    unsure_ok: bool = False
    counts_trials: bool = False
    why: str | None = None
    instrument: str | None = None  # phq9 / gad7 for the standard questionnaires' items
    number: int | None = None  # the item's number within its instrument


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    why: str
    questions: tuple[Question, ...]
    intro: str | None = None

    @property
    def form(self) -> str:
        return f"{self.id}_form"

    @property
    def slots(self) -> list[str]:
        return [q.slot for q in self.questions]


@dataclass(frozen=True)
class Instrument:
    """A standard questionnaire (PHQ-9, GAD-7), word for word from questionnaires.yml."""

    id: str
    title: str
    stem: str
    scale: tuple[Option, ...]
    items: tuple[str, ...]
    bands: tuple[tuple[int, int, str], ...]

    def item_slot(self, number: int) -> str:
        return f"{self.id}_{number}"


@dataclass(frozen=True)
class Catalogue:
    sections: tuple[Section, ...]
    hints: dict[str, str]
    instruments: dict[str, Instrument]
    screening: dict[str, dict[str, Any]]  # contraindications.yml entries by slot
    by_slot: dict[str, Question] = field(default_factory=dict)

    def question(self, slot: str) -> Question:
        return self.by_slot[slot]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def section_of(self, slot: str) -> Section:
        return self.section(self.by_slot[slot].section)

    def form_section(self, form: str | None) -> Section | None:
        return next((s for s in self.sections if s.form == form), None)

    @property
    def forms(self) -> list[str]:
        return [s.form for s in self.sections]

    @property
    def answer_slots(self) -> list[str]:
        """Every slot that holds an answer for the clinic, in the order they are asked."""
        return [q.slot for s in self.sections for q in s.questions if q.kind not in {"consent", "review"}]

    def hint(self, question: Question) -> str:
        """The kind, specific re-ask for an answer that could not be read; choices name their options."""
        if question.kind == "choice":
            labels = ", ".join(o.label for o in question.options)
            return f"Please choose one of: {labels}. By text message, reply with its number."
        return self.hints[question.kind]


def _fill(text: str, clinic: dict[str, str], where: str) -> str:
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(clinic))
    if missing:
        raise CatalogueError(f"{where}: unknown placeholder(s) {missing}; they must be keys of knowledge/clinic.yml.")
    return _PLACEHOLDER.sub(lambda m: clinic[m.group(1)], text)


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _instrument(key: str, data: dict[str, Any]) -> Instrument:
    return Instrument(
        id=key,
        title=str(data["title"]),
        stem=str(data["stem"]),
        scale=tuple(Option(str(s["label"]), (str(s["value"]),)) for s in data["scale"]),
        items=tuple(str(i["text"]) for i in data["items"]),
        bands=tuple((int(b["min"]), int(b["max"]), str(b["label"])) for b in data["bands"]),
    )


def _instrument_questions(instrument: Instrument, section: str) -> list[Question]:
    total = len(instrument.items)
    return [
        Question(
            slot=instrument.item_slot(number),
            kind="scale",
            section=section,
            ask=f"{instrument.title} ({number} of {total}). {instrument.stem}\n{text}",
            label=f"{instrument.title} question {number}",
            options=instrument.scale,
            instrument=instrument.id,
            number=number,
        )
        for number, text in enumerate(instrument.items, start=1)
    ]


def _own_question(entry: dict[str, Any], section: str, clinic: dict[str, str]) -> Question:
    slot = entry.get("slot")
    kind = entry.get("kind")
    if not slot or kind not in KINDS:
        raise CatalogueError(f"questions.yml, section {section}: question {slot!r} has kind {kind!r}; use one of {sorted(KINDS)}.")
    ask = entry.get("ask") or ""
    if kind != "review" and not ask:
        raise CatalogueError(f"questions.yml: {slot} has no `ask` text.")
    options = tuple(Option(str(o[0]), tuple(str(w) for w in o[1:])) for o in entry.get("options") or ())
    if kind == "choice" and len(options) < 2:
        raise CatalogueError(f"questions.yml: {slot} is a choice with fewer than two options.")
    return Question(
        slot=slot,
        kind=kind,
        section=section,
        ask=_fill(ask, clinic, slot),
        sms=_fill(entry["sms"], clinic, slot) if entry.get("sms") else None,
        label=str(entry.get("label") or slot),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
        options=options,
        none_ok=bool(entry.get("none_ok")),
        unsure_ok=bool(entry.get("unsure_ok")),
        counts_trials=bool(entry.get("counts_trials")),
        why=entry.get("why"),
    )


def load(
    path: Path = QUESTIONS_FILE,
    questionnaires: Path = QUESTIONNAIRES_FILE,
    contraindications: Path = CONTRAINDICATIONS_FILE,
    clinic: dict[str, str] | None = None,
) -> Catalogue:
    clinic = load_clinic() if clinic is None else clinic
    data = _read(path)
    instruments = {key: _instrument(key, value) for key, value in _read(questionnaires).items()}
    screening = {entry["slot"]: entry for entry in _read(contraindications)}
    labels = data.get("labels") or {}
    unlabelled = sorted(set(screening) - set(labels))
    if unlabelled:
        raise CatalogueError(f"questions.yml `labels` lacks a short label for {unlabelled} (from contraindications.yml).")
    claimed = {
        slot
        for section in data["sections"]
        for entry in section["questions"]
        if entry.get("include") == "contraindications"
        for slot in entry.get("slots") or ()
    }
    sections = []
    for raw in data["sections"]:
        questions: list[Question] = []
        for entry in raw["questions"]:
            include = entry.get("include")
            if include in instruments:
                questions += _instrument_questions(instruments[include], raw["id"])
            elif include == "contraindications":
                wanted = entry.get("slots") or [s for s in screening if s not in claimed]
                questions += [
                    Question(slot=s, kind="yes_no", section=raw["id"], ask=str(screening[s]["question"]), label=str(labels[s]))
                    for s in wanted
                ]
            elif include:
                raise CatalogueError(f"questions.yml: unknown include {include!r}.")
            else:
                questions.append(_own_question(entry, raw["id"], clinic))
        sections.append(
            Section(
                id=raw["id"],
                title=str(raw["title"]),
                why=str(raw["why"]),
                intro=raw.get("intro"),
                questions=tuple(questions),
            )
        )
    by_slot: dict[str, Question] = {}
    for question in (q for s in sections for q in s.questions):
        if question.slot in by_slot:
            raise CatalogueError(f"questions.yml: slot {question.slot} is asked twice.")
        by_slot[question.slot] = question
    hints = {str(k): str(v) for k, v in data["hints"].items()}
    missing_hints = sorted({q.kind for q in by_slot.values()} - set(hints) - {"choice"})
    if missing_hints:
        raise CatalogueError(f"questions.yml `hints` lacks {missing_hints}.")
    return Catalogue(tuple(sections), hints, instruments, screening, by_slot)


@cache
def catalogue() -> Catalogue:
    """The project's catalogue, read once per process."""
    return load()
