"""Conversations as staff need to read them, from Rasa's tracker store (`events` table).

Rasa writes one row per event with the event as JSON in `data`; the console
only reads it. A transcript keeps what the patient saw (user and bot turns,
buttons, channel), marks crisis turns, human (staff) turns and take-over
pauses, and names the knowledge-base entry behind each FAQ answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.crisis import CRISIS_INTENT, NOT_SAFE_INTENT

# Rasa's table, described here only to query it; it is never created from this metadata.
events = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

# The slot's name in domain.yml (a test checks they stay equal).
CRISIS_SLOT = "crisis_detected"
STAFF_METADATA_KEY = "console_staff"
FAQ_PREFIX = "utter_faq/"
SMS_CHANNELS = {"twilio"}


def channel_kind(input_channel: str | None) -> str:
    """`sms` or `web`: what staff filter on, whatever Rasa calls the channel."""
    return "sms" if input_channel in SMS_CHANNELS else "web"


@cache
def kb_titles() -> dict[str, str]:
    from bot.knowledge import load_entries

    return {entry.id: entry.title for entry in load_entries()}


@dataclass
class Turn:
    kind: str  # user | bot | staff | takeover | handback
    timestamp: float
    text: str = ""
    channel: str | None = None
    intent: str | None = None
    crisis: bool = False
    buttons: list[str] = field(default_factory=list)
    kb_entry: str | None = None
    kb_title: str | None = None
    staff: str | None = None


def _turn(row: dict[str, Any]) -> Turn | None:
    data = json.loads(row["data"])
    kind = row["type_name"]
    metadata = data.get("metadata") or {}
    if kind == "user":
        return Turn(
            "user",
            row["timestamp"],
            text=data.get("text") or "",
            channel=data.get("input_channel"),
            intent=row["intent_name"],
            crisis=row["intent_name"] in {CRISIS_INTENT, NOT_SAFE_INTENT},
        )
    if kind == "bot":
        staff = metadata.get(STAFF_METADATA_KEY)
        buttons = [button.get("title", "") for button in ((data.get("data") or {}).get("buttons") or [])]
        utter_action = metadata.get("utter_action") or ""
        entry = utter_action[len(FAQ_PREFIX) :] if utter_action.startswith(FAQ_PREFIX) else None
        return Turn(
            "staff" if staff else "bot",
            row["timestamp"],
            text=data.get("text") or "",
            buttons=buttons,
            kb_entry=entry,
            kb_title=kb_titles().get(entry) if entry else None,
            staff=staff,
            crisis=utter_action.startswith("utter_crisis"),
        )
    if kind == "pause":
        return Turn("takeover", row["timestamp"], staff=metadata.get(STAFF_METADATA_KEY))
    if kind == "resume":
        return Turn("handback", row["timestamp"], staff=metadata.get(STAFF_METADATA_KEY))
    return None


def transcript(connection: Connection, sender_id: str) -> list[Turn]:
    """Every turn of one conversation, across sessions, oldest first."""
    query = (
        sa.select(events.c.type_name, events.c.timestamp, events.c.intent_name, events.c.data)
        .where(events.c.sender_id == sender_id, events.c.type_name.in_(("user", "bot", "pause", "resume")))
        .order_by(events.c.id)
    )
    turns = (_turn(dict(row)) for row in connection.execute(query).mappings())
    return [turn for turn in turns if turn is not None]


def latest_per_sender(connection: Connection, condition: Any, senders: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The newest event matching `condition` for each conversation, as parsed JSON."""
    newest = sa.select(sa.func.max(events.c.id)).where(condition)
    if senders is not None:
        newest = newest.where(events.c.sender_id.in_(senders))
    query = sa.select(events.c.sender_id, events.c.data).where(events.c.id.in_(newest.group_by(events.c.sender_id)))
    return {row.sender_id: json.loads(row.data) for row in connection.execute(query)}


def crisis_slot_values(connection: Connection, senders: list[str] | None = None) -> dict[str, bool]:
    """The current value of the `crisis_detected` slot per conversation."""
    condition = sa.and_(events.c.type_name == "slot", events.c.action_name == CRISIS_SLOT)
    return {sender: bool(data.get("value")) for sender, data in latest_per_sender(connection, condition, senders).items()}


def latest_channels(connection: Connection, senders: list[str] | None = None) -> dict[str, str | None]:
    """The channel each conversation last wrote from (Rasa's `input_channel`)."""
    rows = latest_per_sender(connection, events.c.type_name == "user", senders)
    return {sender: data.get("input_channel") for sender, data in rows.items()}
