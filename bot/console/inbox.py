"""The inbox: every conversation, crisis first, then intakes waiting for review, then the rest.

Built from four sources in one database: Rasa's `events` (activity, channel,
the `crisis_detected` slot), `crisis_alerts` with their acknowledgements,
`intakes` (decrypted here for name and phone) and active take-overs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot import storage
from bot.console import alerts as alert_store
from bot.console import intakes as intake_store
from bot.console import takeover
from bot.console.transcripts import channel_kind, crisis_slot_values, events, latest_channels

LIMIT = 200
STATUSES = {
    "": "Any status",
    "crisis": "In crisis",
    "unacknowledged": "Crisis not acknowledged",
    "intake_submitted": "Intake awaiting review",
    "intake_reviewed": "Intake reviewed",
    "takeover": "Staff in the conversation",
}
CHANNELS = {"": "Any channel", "web": "Web chat", "sms": "SMS"}
TIER_CRISIS, TIER_INTAKE, TIER_REST = 0, 1, 2


@dataclass(frozen=True)
class Filters:
    q: str = ""
    channel: str = ""
    status: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        def pick(key: str, allowed: dict[str, str] | None = None) -> str:
            value = (query.get(key) or "").strip()[:200]
            return value if allowed is None or value in allowed else ""

        dates = {key: pick(key) if _day(pick(key)) else "" for key in ("since", "until")}
        return cls(q=pick("q"), channel=pick("channel", CHANNELS), status=pick("status", STATUSES), **dates)


@dataclass
class Row:
    sender_id: str
    tier: int
    channel: str | None
    last_at: float
    user_turns: int
    crisis: bool
    escalated_at: float | None
    unacknowledged: int
    acknowledged_by: str | None
    intake: intake_store.Intake | None
    taken_over_by: str | None

    @property
    def channel_kind(self) -> str:
        return channel_kind(self.channel)

    @property
    def name(self) -> str:
        return self.intake.contact_name if self.intake else ""


def _day(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _senders_whose_messages_match(connection: Connection, q: str) -> set[str]:
    # `data` is the event as JSON, so look for the term as JSON would spell it.
    needle = re.sub(r"([!%_])", r"!\1", json.dumps(q)[1:-1])
    condition = events.c.data.ilike(f"%{needle}%", escape="!")
    query = sa.select(events.c.sender_id).where(events.c.type_name == "user", condition).distinct()
    return {row.sender_id for row in connection.execute(query)}


def _matches(row: Row, filters: Filters, text_matches: set[str]) -> bool:
    if filters.channel and row.channel_kind != filters.channel:
        return False
    status = filters.status
    intake_status = row.intake.status if row.intake else None
    if (
        (status == "crisis" and not row.crisis)
        or (status == "unacknowledged" and not row.unacknowledged)
        or (status == "intake_submitted" and intake_status != "submitted")
        or (status == "intake_reviewed" and intake_status != "reviewed")
        or (status == "takeover" and not row.taken_over_by)
    ):
        return False
    since, until = _day(filters.since), _day(filters.until)
    if since and row.last_at < since.timestamp():
        return False
    if until and row.last_at >= (until + timedelta(days=1)).timestamp():
        return False
    if filters.q:
        q = filters.q.lower()
        phone = row.intake.contact_phone if row.intake else ""
        digits = _digits(q)
        return (
            q in row.sender_id.lower()
            or q in row.name.lower()
            or bool(digits and len(digits) >= 3 and digits in _digits(phone))
            or row.sender_id in text_matches
        )
    return True


def _sort_key(row: Row) -> tuple:
    if row.tier == TIER_CRISIS:
        return (row.tier, 0 if row.unacknowledged else 1, -(row.escalated_at or row.last_at))
    if row.tier == TIER_INTAKE and row.intake:
        return (row.tier, 0, -(row.intake.submitted_at or row.intake.created_at))
    return (row.tier, 0, -row.last_at)


def build(connection: Connection, filters: Filters) -> tuple[list[Row], int]:
    """The rows to show, in priority order, and how many matched before the page limit."""
    activity = {
        row.sender_id: (row.last_at, row.user_turns)
        for row in connection.execute(
            sa.select(
                events.c.sender_id,
                sa.func.max(events.c.timestamp).label("last_at"),
                sa.func.sum(sa.case((events.c.type_name == "user", 1), else_=0)).label("user_turns"),
            ).group_by(events.c.sender_id)
        )
    }
    alerts_by_sender: dict[str, list[dict[str, Any]]] = {}
    for alert in alert_store.all_alerts(connection):
        alerts_by_sender.setdefault(alert["sender_id"], []).append(alert)
    latest_intake: dict[str, intake_store.Intake] = {}
    for intake in intake_store.all_intakes(connection):
        latest_intake[intake.sender_id] = intake
    crisis_slots = crisis_slot_values(connection)
    channels = latest_channels(connection)
    active = takeover.active_by_sender(connection)
    text_matches = _senders_whose_messages_match(connection, filters.q) if filters.q else set()

    rows = []
    for sender in set(activity) | set(alerts_by_sender) | set(latest_intake):
        sender_alerts = alerts_by_sender.get(sender, [])
        intake = latest_intake.get(sender)
        unacknowledged = sum(1 for alert in sender_alerts if alert["acknowledged_at"] is None)
        crisis = crisis_slots.get(sender, False) or unacknowledged > 0
        last_at, user_turns = activity.get(sender, (0.0, 0))
        moments = [last_at, *(a["created_at"] for a in sender_alerts)]
        if intake:
            moments += [intake.created_at, intake.submitted_at or 0.0]
        acknowledged = [a for a in sender_alerts if a["acknowledged_at"] is not None]
        tier = TIER_CRISIS if crisis else TIER_INTAKE if intake and intake.status == "submitted" else TIER_REST
        channel = channels.get(sender) or (intake.channel if intake else None) or next(
            (alert["channel"] for alert in reversed(sender_alerts) if alert["channel"]), None
        )
        rows.append(
            Row(
                sender_id=sender,
                tier=tier,
                channel=channel,
                last_at=max(moments),
                user_turns=int(user_turns or 0),
                crisis=crisis,
                escalated_at=sender_alerts[-1]["created_at"] if sender_alerts else None,
                unacknowledged=unacknowledged,
                acknowledged_by=acknowledged[-1]["acknowledged_by"] if acknowledged else None,
                intake=intake,
                taken_over_by=active[sender]["staff"] if sender in active else None,
            )
        )
    matching = sorted((row for row in rows if _matches(row, filters, text_matches)), key=_sort_key)
    return matching[:LIMIT], len(matching)


def waiting_counts(connection: Connection) -> dict[str, int]:
    """For the header: unacknowledged crisis alerts and intakes waiting for review."""
    acks = storage.alert_acknowledgements
    alerts = storage.crisis_alerts
    unacknowledged = connection.execute(
        sa.select(sa.func.count()).select_from(alerts.outerjoin(acks, acks.c.alert_id == alerts.c.id)).where(acks.c.alert_id.is_(None))
    ).scalar()
    submitted = connection.execute(
        sa.select(sa.func.count()).select_from(storage.intakes).where(storage.intakes.c.status == "submitted")
    ).scalar()
    return {"unacknowledged": int(unacknowledged or 0), "intakes": int(submitted or 0)}
