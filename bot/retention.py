"""Deletes what the assistant keeps about people once the clinic's retention period is over.

The assistant is a front door, not the medical record: a reviewed intake belongs in
the clinic's own record system, and a chat transcript has no use after the visit it
led to. Keeping either longer only enlarges what a breach would expose. So
`python -m bot retention` (run daily from cron or a systemd timer) deletes, rather
than anonymises, because free text cannot be anonymised reliably:

- conversations whose last event is older than RETENTION_DAYS: Rasa's events,
  their crisis alerts and acknowledgements, staff take-overs, and the SMS contact
  row (unless the number opted out with STOP: carriers require that record);
- intakes older than INTAKE_RETENTION_DAYS, with their staff notes, except intakes
  still waiting for review, which a clinician has not seen yet.

Every run that deletes writes one entry to the append-only audit log with counts, in the
same transaction as the deletions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import storage
from bot.channels.sms_contacts import sms_contacts
from bot.console import audit

DAY = 86400.0


@dataclass(frozen=True)
class Purge:
    conversations: int
    events: int
    alerts: int
    takeovers: int
    sms_contacts: int
    intakes: int
    notes: int
    intakes_kept_for_review: int

    def summary(self) -> str:
        return (
            f"{self.conversations} conversations ({self.events} events, {self.alerts} crisis alerts, "
            f"{self.takeovers} take-overs, {self.sms_contacts} SMS contacts), {self.intakes} intakes "
            f"({self.notes} staff notes); {self.intakes_kept_for_review} expired intakes kept: not reviewed yet"
        )


def _expired_conversations(connection: Connection, cutoff: float) -> list[str]:
    if not sa.inspect(connection).has_table("events"):
        return []
    events = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
    query = sa.select(events.c.sender_id).group_by(events.c.sender_id).having(sa.func.max(events.c.timestamp) < cutoff)
    return [row.sender_id for row in connection.execute(query)]


def _delete_conversations(connection: Connection, senders: list[str]) -> dict[str, int]:
    alerts = storage.crisis_alerts
    counts = {"events": 0, "alerts": 0, "takeovers": 0, "sms_contacts": 0}
    events = sa.table("events", sa.column("sender_id"))
    for start in range(0, len(senders), 500):  # keeps each IN (...) list within every database's limits
        batch = senders[start : start + 500]
        alert_ids = sa.select(alerts.c.id).where(alerts.c.sender_id.in_(batch)).scalar_subquery()
        acknowledgements = storage.alert_acknowledgements
        connection.execute(sa.delete(acknowledgements).where(acknowledgements.c.alert_id.in_(alert_ids)))
        counts["alerts"] += connection.execute(sa.delete(alerts).where(alerts.c.sender_id.in_(batch))).rowcount
        takeovers = storage.conversation_takeovers
        counts["takeovers"] += connection.execute(sa.delete(takeovers).where(takeovers.c.sender_id.in_(batch))).rowcount
        if sa.inspect(connection).has_table(sms_contacts.name):
            opted_out = sms_contacts.c.opted_out_at.is_not(None) & (
                sms_contacts.c.opted_in_at.is_(None) | (sms_contacts.c.opted_in_at < sms_contacts.c.opted_out_at)
            )
            query = sa.delete(sms_contacts).where(sms_contacts.c.sender_id.in_(batch), sa.not_(opted_out))
            counts["sms_contacts"] += connection.execute(query).rowcount
        counts["events"] += connection.execute(sa.delete(events).where(events.c.sender_id.in_(batch))).rowcount
    return counts


def _intake_age(intakes: sa.Table) -> sa.ColumnElement:
    return sa.func.coalesce(intakes.c.reviewed_at, intakes.c.submitted_at, intakes.c.created_at)


@dataclass(frozen=True)
class Expired:
    """What a purge would delete now: shown by `retention --dry-run` before a clinic turns it on."""

    senders: list[str]
    intake_ids: list[int]
    intakes_kept_for_review: int


def expired(connection: Connection, conversation_days: int, intake_days: int, now: float) -> Expired:
    intakes = storage.intakes
    too_old = _intake_age(intakes) < now - intake_days * DAY
    awaiting_review = intakes.c.status == "submitted"
    ids = connection.execute(sa.select(intakes.c.id).where(too_old, sa.not_(awaiting_review))).scalars().all()
    kept = connection.execute(sa.select(sa.func.count()).select_from(intakes).where(too_old, awaiting_review)).scalar_one()
    return Expired(_expired_conversations(connection, now - conversation_days * DAY), list(ids), kept)


def purge(engine: Engine, conversation_days: int, intake_days: int, now: float | None = None) -> Purge:
    notes, intakes = storage.staff_notes, storage.intakes
    with engine.begin() as connection:
        found = expired(connection, conversation_days, intake_days, time.time() if now is None else now)
        counts = _delete_conversations(connection, found.senders)
        deleted_notes = deleted_intakes = 0
        for start in range(0, len(found.intake_ids), 500):
            batch = found.intake_ids[start : start + 500]
            deleted_notes += connection.execute(sa.delete(notes).where(notes.c.intake_id.in_(batch))).rowcount
            deleted_intakes += connection.execute(sa.delete(intakes).where(intakes.c.id.in_(batch))).rowcount
        result = Purge(
            len(found.senders), **counts, intakes=deleted_intakes, notes=deleted_notes,
            intakes_kept_for_review=found.intakes_kept_for_review,
        )  # fmt: skip
        if found.senders or deleted_intakes:
            detail = f"deleted {result.summary()}; periods {conversation_days}/{intake_days} days"
            audit.record(connection, audit.SYSTEM, "retention_purge", detail=detail)
    return result
