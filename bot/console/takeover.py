"""A staff member takes over a conversation: the assistant goes quiet, the person speaks.

Uses Rasa's HTTP API (on only when RASA_TOKEN is set): a `pause` event silences
the assistant, `bot` events carrying the staff member's address are the human
turns (delivered through the patient's own channel when that channel can push:
SMS and the Socket.IO web chat; REST clients only get replies to their own
requests), and `resume` hands the conversation back.

While Rasa is paused it still parses every message, so the crisis detector still
runs and the alert broker still records crisis turns, but Rasa predicts no
reply. So that a person in crisis still gets the crisis lines at once, the
console's watcher sends `utter_crisis` for every new crisis alert in a
taken-over conversation, or `utter_crisis_urgent` when the person said they are
not safe, as the assistant itself would have answered. It also hands a
conversation back to the assistant when staff have not written in it for 30
minutes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import storage
from bot.console import audit
from bot.console.transcripts import STAFF_METADATA_KEY

logger = logging.getLogger(__name__)
# Channels whose Rasa connector can send a message the patient did not just ask for
# (bot.channels: `webchat` over Socket.IO, `twilio` SMS; and Rasa's own `socketio`).
PUSH_CHANNELS = {"webchat", "twilio", "socketio"}
CRISIS_RESPONSE = "utter_crisis"
# The alert detector bot.alerts.broker records for "I'm not safe", and the reply Rasa's rules give it.
URGENT_DETECTOR = "not_safe"
URGENT_RESPONSE = "utter_crisis_urgent"
# Rasa's rules expect every user turn to follow `action_listen`; actions run from outside the
# prediction loop do not add it, and without it the assistant would not answer after hand-back.
LISTEN = {"event": "action", "name": "action_listen"}
WATCH_SECONDS = 1.0
# A take-over nobody writes in for this long hands back by itself: a patient must not talk into silence.
IDLE_HANDBACK_SECONDS = 30 * 60


class RasaUnavailable(Exception):
    """Rasa's HTTP API refused or did not answer; the message is meant for staff."""


@dataclass(frozen=True)
class RasaApi:
    base_url: str
    token: str

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    async def _post(self, path: str, body: Any, params: dict[str, str]) -> None:
        if not self.enabled:
            raise RasaUnavailable("Take-over needs Rasa's HTTP API: set RASA_TOKEN in .env and restart.")
        url = f"{self.base_url}{path}"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as client:
                async with client.post(url, json=body, params={"token": self.token, **params}) as response:
                    if response.status >= 400:
                        raise RasaUnavailable(f"The assistant refused the request (HTTP {response.status}).")
        except aiohttp.ClientError as error:
            raise RasaUnavailable(f"The assistant cannot be reached ({type(error).__name__}).") from None

    async def append_events(self, sender_id: str, events: list[dict[str, Any]], deliver: bool = False) -> None:
        params = {"execute_side_effects": "true", "output_channel": "latest"} if deliver else {}
        await self._post(f"/conversations/{quote(sender_id, safe='')}/tracker/events", events, params)

    async def execute(self, sender_id: str, action: str) -> None:
        await self._post(f"/conversations/{quote(sender_id, safe='')}/execute", {"name": action}, {"output_channel": "latest"})


def active_by_sender(connection: Connection) -> dict[str, dict[str, Any]]:
    table = storage.conversation_takeovers
    return {row["sender_id"]: dict(row) for row in connection.execute(sa.select(table).where(table.c.ended_at.is_(None))).mappings()}


def active_for(connection: Connection, sender_id: str) -> dict[str, Any] | None:
    table = storage.conversation_takeovers
    row = connection.execute(sa.select(table).where(table.c.sender_id == sender_id, table.c.ended_at.is_(None))).mappings().first()
    return dict(row) if row else None


def _newest_alert_id(connection: Connection, sender_id: str) -> int:
    alerts = storage.crisis_alerts
    return int(connection.execute(sa.select(sa.func.max(alerts.c.id)).where(alerts.c.sender_id == sender_id)).scalar() or 0)


async def start(engine: Engine, api: RasaApi, sender_id: str, staff: str) -> bool:
    """Silence the assistant and record who is speaking; False if a take-over is already running."""
    with engine.connect() as connection:
        if active_for(connection, sender_id):
            return False
        seen = _newest_alert_id(connection, sender_id)
    await api.append_events(sender_id, [{"event": "pause", "metadata": {STAFF_METADATA_KEY: staff}}])
    now = time.time()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(storage.conversation_takeovers).values(
                sender_id=sender_id, staff=staff, started_at=now, last_staff_at=now, crisis_alert_seen=seen
            )
        )
    return True


async def say(engine: Engine, api: RasaApi, sender_id: str, staff: str, text: str) -> None:
    """Send a human turn: recorded in the transcript, and pushed to the patient where the channel can."""
    await api.append_events(sender_id, [{"event": "bot", "text": text, "metadata": {STAFF_METADATA_KEY: staff}}], deliver=True)
    table = storage.conversation_takeovers
    with engine.begin() as connection:
        connection.execute(
            sa.update(table).where(table.c.sender_id == sender_id, table.c.ended_at.is_(None)).values(last_staff_at=time.time())
        )


async def hand_back(engine: Engine, api: RasaApi, sender_id: str, staff: str) -> None:
    await api.append_events(sender_id, [LISTEN, {"event": "resume", "metadata": {STAFF_METADATA_KEY: staff}}])
    table = storage.conversation_takeovers
    with engine.begin() as connection:
        connection.execute(
            sa.update(table).where(table.c.sender_id == sender_id, table.c.ended_at.is_(None)).values(ended_at=time.time())
        )


async def answer_crises(engine: Engine, api: RasaApi) -> int:
    """Send the crisis lines for each crisis turn in a taken-over conversation; returns how many were sent."""
    alerts, table = storage.crisis_alerts, storage.conversation_takeovers
    with engine.connect() as connection:
        due = connection.execute(
            sa.select(table.c.id, table.c.sender_id, sa.func.max(alerts.c.id).label("newest"))
            .join(alerts, alerts.c.sender_id == table.c.sender_id)
            .where(table.c.ended_at.is_(None), alerts.c.id > table.c.crisis_alert_seen)
            .group_by(table.c.id, table.c.sender_id)
        ).all()
        if not due:
            return 0
        query = sa.select(alerts.c.id, alerts.c.detector).where(alerts.c.id.in_([row.newest for row in due]))
        detectors = dict(connection.execute(query).all())
    for takeover_id, sender_id, newest in due:
        await api.execute(sender_id, URGENT_RESPONSE if detectors.get(newest) == URGENT_DETECTOR else CRISIS_RESPONSE)
        await api.append_events(sender_id, [LISTEN])
        with engine.begin() as connection:
            connection.execute(sa.update(table).where(table.c.id == takeover_id).values(crisis_alert_seen=newest))
        audit.record(engine, audit.SYSTEM, "crisis_lines_sent_during_takeover", target=sender_id, detail=f"alert {newest}")
    return len(due)


async def hand_back_idle(engine: Engine, api: RasaApi, now: float | None = None) -> int:
    """End take-overs in which staff have not written for IDLE_HANDBACK_SECONDS; returns how many."""
    table = storage.conversation_takeovers
    cutoff = (time.time() if now is None else now) - IDLE_HANDBACK_SECONDS
    with engine.connect() as connection:
        idle = connection.execute(
            sa.select(table.c.sender_id).where(table.c.ended_at.is_(None), table.c.last_staff_at < cutoff)
        ).scalars().all()
    for sender_id in idle:
        await hand_back(engine, api, sender_id, audit.SYSTEM)
        audit.record(engine, audit.SYSTEM, "takeover_end_idle", target=sender_id)
    return len(idle)


async def watch_takeovers(engine: Engine, api: RasaApi, interval: float = WATCH_SECONDS) -> None:
    """Crisis lines and idle hand-backs, for the console's lifetime; a failed round is logged and retried, never fatal."""
    while True:
        try:
            await answer_crises(engine, api)
            await hand_back_idle(engine, api)
        except Exception:  # noqa: BLE001 - the watcher must outlive a Rasa restart or a database blip
            logger.exception("Crisis watcher round failed; retrying")
        await asyncio.sleep(interval)
