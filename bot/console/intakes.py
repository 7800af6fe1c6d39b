"""Intakes for staff: decrypted answers, PHQ-9/GAD-7 item answers with totals and bands, flags, notes.

The intake forms (bot.intake, actions) write the `intakes` table; the console
only decrypts it for display and export, marks it reviewed and adds notes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, Engine

from bot import crypto, storage
from bot.settings import ROOT

QUESTIONNAIRES_FILE = ROOT / "bot" / "intake" / "questionnaires.yml"
SCORED = ("phq9", "gad7")


@dataclass(frozen=True)
class ItemAnswer:
    id: str
    text: str
    value: int | None
    label: str


@dataclass(frozen=True)
class ScoredQuestionnaire:
    key: str
    title: str
    stem: str
    total: int | None
    band: str | None
    items: list[ItemAnswer]


@dataclass
class Intake:
    id: int
    sender_id: str
    channel: str | None
    status: str
    created_at: float
    submitted_at: float | None
    reviewed_at: float | None
    reviewed_by: str | None
    antidepressant_trials: int | None
    answers: dict[str, Any]
    flags: list[str]
    intake_note: Any
    questionnaires: list[ScoredQuestionnaire]
    other_answers: list[tuple[str, str, Any]]
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def contact_name(self) -> str:
        return contact_value(self.answers, "name")

    @property
    def contact_phone(self) -> str:
        return contact_value(self.answers, "phone")


@cache
def questionnaire_definitions() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(QUESTIONNAIRES_FILE.read_text(encoding="utf-8"))


@cache
def catalogue_labels() -> dict[str, str]:
    """Slot -> the short label the intake's review screen uses, in the order the questions are asked."""
    from bot.intake.questions import CatalogueError, catalogue

    try:
        questions = catalogue()
    except (CatalogueError, OSError, KeyError, ValueError):
        # A broken questions file must not take the console down; slot names still identify each answer.
        return {}
    return {slot: questions.by_slot[slot].label for slot in questions.answer_slots}


def question_label(key: str) -> str:
    return catalogue_labels().get(key) or key.replace("_", " ").strip().capitalize()


def _asked_order(key: str) -> int:
    labels = catalogue_labels()
    return next((index for index, slot in enumerate(labels) if slot == key), len(labels))


def contact_value(answers: dict[str, Any], word: str) -> str:
    """The first answer whose slot name contains `word` (name, phone), for the inbox and search."""
    for key, value in answers.items():
        if word in key.lower() and isinstance(value, str | int) and str(value).strip():
            return str(value)
    return ""


def flag_text(flag: Any) -> str:
    """A clinician flag as one line; bot.intake.flags stores {key, level, text, source}."""
    if isinstance(flag, dict):
        text = next((str(flag[key]) for key in ("text", "message", "label", "key") if flag.get(key)), "")
        text = text or ", ".join(f"{k}: {v}" for k, v in flag.items())
        return f"{str(flag['level']).capitalize()}: {text}" if flag.get("level") else text
    return str(flag)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _scored(key: str, answers: dict[str, Any], total: int | None, band: str | None) -> ScoredQuestionnaire:
    definition = questionnaire_definitions()[key]
    labels = {option["value"]: option["label"] for option in definition["scale"]}
    items = []
    for item in definition["items"]:
        value = _as_int(answers.get(item["id"]))
        items.append(ItemAnswer(item["id"], item["text"], value, labels.get(value, "not answered")))
    return ScoredQuestionnaire(key, definition["title"], definition["stem"], total, band, items)


def _from_row(row: dict[str, Any]) -> Intake:
    answers = crypto.decrypt(row["answers"]) or {}
    item_ids = {item["id"] for key in SCORED for item in questionnaire_definitions()[key]["items"]}
    return Intake(
        id=row["id"],
        sender_id=row["sender_id"],
        channel=row["channel"],
        status=row["status"],
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        reviewed_at=row["reviewed_at"],
        reviewed_by=row["reviewed_by"],
        antidepressant_trials=row["antidepressant_trials"],
        answers=answers,
        flags=[flag_text(flag) for flag in crypto.decrypt(row["flags"]) or []],
        intake_note=crypto.decrypt(row["note"]),
        questionnaires=[
            _scored("phq9", answers, row["phq9_total"], row["phq9_band"]),
            _scored("gad7", answers, row["gad7_total"], row["gad7_band"]),
        ],
        other_answers=[
            (key, question_label(key), answers[key]) for key in sorted(answers, key=_asked_order) if key not in item_ids
        ],
    )


def load(connection: Connection, intake_id: int) -> Intake | None:
    row = connection.execute(sa.select(storage.intakes).where(storage.intakes.c.id == intake_id)).mappings().first()
    if row is None:
        return None
    intake = _from_row(dict(row))
    notes = storage.staff_notes
    query = sa.select(notes).where(notes.c.intake_id == intake_id).order_by(notes.c.id)
    intake.notes = [{**row, "body": crypto.decrypt(row["body"])} for row in connection.execute(query).mappings()]
    return intake


def for_sender(connection: Connection, sender_id: str) -> list[Intake]:
    query = sa.select(storage.intakes).where(storage.intakes.c.sender_id == sender_id).order_by(storage.intakes.c.id)
    return [_from_row(dict(row)) for row in connection.execute(query).mappings()]


def all_intakes(connection: Connection) -> list[Intake]:
    """Every intake, decrypted: the inbox shows names and searches name and phone."""
    rows = connection.execute(sa.select(storage.intakes).order_by(storage.intakes.c.id)).mappings()
    return [_from_row(dict(row)) for row in rows]


def mark_reviewed(engine: Engine, intake_id: int, staff: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(storage.intakes)
            .where(storage.intakes.c.id == intake_id)
            .values(status="reviewed", reviewed_at=time.time(), reviewed_by=staff)
        )


def add_note(engine: Engine, intake_id: int, staff: str, body: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.insert(storage.staff_notes).values(
                intake_id=intake_id, author=staff, created_at=time.time(), body=crypto.encrypt(body)
            )
        )
