"""The intake record the clinic receives: answers, computed scores and flags, stored encrypted.

One row per person and intake in the `intakes` table. It is written as the
person answers (status `started`), so a paused or interrupted intake, and a
PHQ-9 item 9 answer above zero, reach the clinic even if never submitted; the
person's confirmation on the review screen sets status `submitted`. Answers and
flags are encrypted with bot.crypto; totals and bands stay clear for sorting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from bot import crypto, storage
from bot.intake import flags, scoring
from bot.intake.questions import Catalogue

STARTED = "started"
SUBMITTED = "submitted"
ITEM_NINE_DETECTOR = "phq9_item9"


@dataclass(frozen=True)
class Record:
    answers: dict[str, Any]
    phq9_total: int | None
    phq9_band: str | None
    gad7_total: int | None
    gad7_band: str | None
    antidepressant_trials: int | None
    flags: list[dict[str, Any]]

    def columns(self) -> dict[str, Any]:
        """The `intakes` columns, with answers and flags encrypted."""
        return {
            "answers": crypto.encrypt(self.answers),
            "phq9_total": self.phq9_total,
            "phq9_band": self.phq9_band,
            "gad7_total": self.gad7_total,
            "gad7_band": self.gad7_band,
            "antidepressant_trials": self.antidepressant_trials,
            "flags": crypto.encrypt(self.flags),
        }


def build(catalogue: Catalogue, slots: dict[str, Any], today: date) -> Record:
    """The record for the answers given so far (unanswered questions are left out)."""
    answers = {slot: slots[slot] for slot in catalogue.answer_slots if slots.get(slot) is not None}
    phq9, gad7 = catalogue.instruments["phq9"], catalogue.instruments["gad7"]
    phq9_total, gad7_total = scoring.total(phq9, answers), scoring.total(gad7, answers)
    return Record(
        answers=answers,
        phq9_total=phq9_total,
        phq9_band=scoring.band(phq9, phq9_total),
        gad7_total=gad7_total,
        gad7_band=scoring.band(gad7, gad7_total),
        antidepressant_trials=scoring.antidepressant_trials(catalogue, answers),
        flags=[f.as_dict() for f in flags.clinician_flags(catalogue, answers, today)],
    )


def _open_intake(connection: sa.engine.Connection, sender_id: str) -> int | None:
    return connection.execute(
        sa.select(storage.intakes.c.id)
        .where(storage.intakes.c.sender_id == sender_id, storage.intakes.c.status == STARTED)
        .order_by(storage.intakes.c.id.desc())
        .limit(1)
    ).scalar()


def save(database_url: str, sender_id: str, channel: str | None, record: Record, submit: bool = False) -> int:
    """Write the person's open intake (creating it on the first answer); `submit` marks it sent. Returns its id."""
    now = time.time()
    values = {**record.columns(), "status": SUBMITTED if submit else STARTED}
    if submit:
        values["submitted_at"] = now
    with storage.engine(database_url).begin() as connection:
        intake_id = _open_intake(connection, sender_id)
        if intake_id is None:
            inserted = connection.execute(sa.insert(storage.intakes).values(sender_id=sender_id, channel=channel, created_at=now, **values))
            return int(inserted.inserted_primary_key[0])
        connection.execute(sa.update(storage.intakes).where(storage.intakes.c.id == intake_id).values(**values))
        return intake_id


def raise_item_nine_alert(database_url: str, sender_id: str, channel: str | None) -> None:
    """Put a PHQ-9 item 9 answer above zero in the crisis-alert outbox, like a crisis message: staff are told at once."""
    now = time.time()
    with storage.engine(database_url).begin() as connection:
        connection.execute(
            sa.insert(storage.crisis_alerts).values(
                sender_id=sender_id,
                channel=channel,
                detector=ITEM_NINE_DETECTOR,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )
