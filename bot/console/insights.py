"""What the assistant could not answer, and how busy each day was.

A question counts as unanswered when the assistant's next action after it was
`utter_dont_know` (nothing in the knowledge base fits) or
`action_offer_topics` (a low-confidence match, offered as two guesses). The
same question asked in different words stays separate; case, spacing and
punctuation do not.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot import storage
from bot.console.transcripts import events

UNANSWERED_ACTIONS = {"utter_dont_know": "I don't know", "action_offer_topics": "Low confidence: offered topics"}
DEFAULT_DAYS = 30


@dataclass
class Unanswered:
    question: str
    count: int = 0
    conversations: set[str] = field(default_factory=set)
    last_at: float = 0.0
    reasons: Counter = field(default_factory=Counter)


@dataclass
class Day:
    day: str
    conversations: int = 0
    intakes_started: int = 0
    intakes_submitted: int = 0
    crisis_escalations: int = 0
    unanswered: int = 0


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")


def unanswered_turns(connection: Connection, since: float) -> list[tuple[str, str, float, str]]:
    """(sender, question, when, action) for each user turn the assistant could not answer."""
    query = (
        sa.select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.action_name, events.c.data)
        .where(events.c.timestamp >= since, events.c.type_name.in_(("user", "action")))
        .order_by(events.c.sender_id, events.c.id)
    )
    found = []
    last_question: dict[str, tuple[str, float] | None] = {}
    for row in connection.execute(query):
        if row.type_name == "user":
            last_question[row.sender_id] = (json.loads(row.data).get("text") or "", row.timestamp)
        elif row.action_name in UNANSWERED_ACTIONS and last_question.get(row.sender_id):
            text, at = last_question[row.sender_id]
            found.append((row.sender_id, text, at, row.action_name))
            last_question[row.sender_id] = None
    return found


def unanswered(connection: Connection, days: int = DEFAULT_DAYS, now: float | None = None) -> list[Unanswered]:
    """Grouped questions, most often asked first."""
    since = (time.time() if now is None else now) - days * 86400
    groups: dict[str, Unanswered] = {}
    for sender, text, at, action in unanswered_turns(connection, since):
        key = normalise(text)
        if not key:
            continue
        group = groups.setdefault(key, Unanswered(question=text))
        group.count += 1
        group.conversations.add(sender)
        group.reasons[UNANSWERED_ACTIONS[action]] += 1
        if at >= group.last_at:
            group.last_at, group.question = at, text
    return sorted(groups.values(), key=lambda g: (-g.count, -g.last_at))


def per_day(connection: Connection, days: int = DEFAULT_DAYS, now: float | None = None) -> list[Day]:
    """Conversations, intakes started and submitted, crisis escalations and unanswered questions per UTC day, newest first."""
    now = time.time() if now is None else now
    since = now - days * 86400
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    table = {str(today - timedelta(days=n)): Day(str(today - timedelta(days=n))) for n in range(days)}

    def bump(timestamp: float | None, attribute: str) -> None:
        if timestamp is not None and timestamp >= since and _day(timestamp) in table:
            day = table[_day(timestamp)]
            setattr(day, attribute, getattr(day, attribute) + 1)

    seen: set[tuple[str, str]] = set()
    user_turns = sa.select(events.c.sender_id, events.c.timestamp).where(events.c.type_name == "user", events.c.timestamp >= since)
    for sender, timestamp in connection.execute(user_turns):
        if (sender, _day(timestamp)) not in seen:
            seen.add((sender, _day(timestamp)))
            bump(timestamp, "conversations")
    intakes = storage.intakes
    for created_at, submitted_at in connection.execute(sa.select(intakes.c.created_at, intakes.c.submitted_at)):
        bump(created_at, "intakes_started")
        bump(submitted_at, "intakes_submitted")
    alerts = storage.crisis_alerts
    for (created_at,) in connection.execute(sa.select(alerts.c.created_at).where(alerts.c.created_at >= since)):
        bump(created_at, "crisis_escalations")
    for _, _, at, _ in unanswered_turns(connection, since):
        bump(at, "unanswered")
    return list(table.values())
