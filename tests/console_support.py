"""Helpers for the staff-console tests: a console on a free port, a logged-in staff member, test data.

The console runs in-process (no Rasa needed) for the page and security tests;
the take-over and browser tests use the whole stack from conftest instead.
Test data is written the way the assistant writes it: Rasa's `events` rows,
crisis alerts from the broker, encrypted intakes.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from aiohttp import web

from bot import crypto, storage
from bot.console import accounts
from bot.console.transcripts import events
from bot.console.web import create_app
from bot.settings import Settings
from tests.conftest import make_settings

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Console:
    url: str
    settings: Settings

    @property
    def engine(self) -> sa.engine.Engine:
        return storage.engine(self.settings.database_url)

    def add_user(self, email: str, role: str = "staff") -> str:
        accounts.save_user(self.engine, email, PASSWORD, role)
        return email

    def audit(self, actor: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(storage.audit_log).order_by(storage.audit_log.c.id)
        if actor:
            query = query.where(storage.audit_log.c.actor == actor)
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]


@contextmanager
def running_console(tmp: Path, **overrides: str) -> Iterator[Console]:
    """A console in a background thread with its own SQLite file (and Rasa's `events` table, empty)."""
    settings = make_settings(tmp, **overrides)
    storage.create_tables(settings.database_url)
    events.metadata.create_all(storage.engine(settings.database_url))
    app = create_app(settings)
    started = threading.Event()
    loop = asyncio.new_event_loop()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, settings.console_host, settings.console_port).start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10), "the console did not start"
    try:
        yield Console(f"http://{settings.console_host}:{settings.console_port}", settings)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


class Staff(requests.Session):
    """A staff member's browser session over plain HTTP: follows the forms as a person would."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.csrf = ""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", 30)
        return super().request(method, url if url.startswith("http") else self.base_url + url, *args, **kwargs)

    def login(self, email: str, password: str = PASSWORD, next_page: str = "/") -> requests.Response:
        form = self.get(f"/login?next={next_page}")
        token = CSRF_FIELD.search(form.text).group(1)
        response = self.post("/login", data={"email": email, "password": password, "csrf": token, "next": next_page})
        match = CSRF_FIELD.search(response.text)
        if match and "/logout" in response.text:
            self.csrf = match.group(1)
        return response

    def submit(self, path: str, **fields: str) -> requests.Response:
        """POST a console form with this session's CSRF token, as the page's own form would."""
        return self.post(path, data={"csrf": self.csrf, **fields})


def add_events(engine: sa.engine.Engine, sender_id: str, turns: list[dict[str, Any]], start: float | None = None) -> None:
    """Write turns as Rasa's tracker store would: one row per event, the event as JSON in `data`.

    Each turn is {"user": text, "intent": ..., "channel": ...}, {"bot": text, "utter_action": ..., "buttons": [...]},
    {"action": name} or {"slot": name, "value": value}.
    """
    at = time.time() if start is None else start
    rows = []
    for number, turn in enumerate(turns):
        timestamp = at + number
        if "user" in turn:
            data = {"event": "user", "timestamp": timestamp, "text": turn["user"], "input_channel": turn.get("channel", "rest"),
                    "parse_data": {"intent": {"name": turn.get("intent", "faq")}}}  # fmt: skip
            rows.append(dict(type_name="user", intent_name=turn.get("intent", "faq"), action_name=None, data=data))
        elif "bot" in turn:
            metadata = {"utter_action": turn.get("utter_action", "utter_greet"), **turn.get("metadata", {})}
            buttons = [{"title": title, "payload": "/x"} for title in turn.get("buttons", [])]
            data = {"event": "bot", "timestamp": timestamp, "text": turn["bot"], "metadata": metadata, "data": {"buttons": buttons or None}}
            rows.append(dict(type_name="bot", intent_name=None, action_name=None, data=data))
        elif "action" in turn:
            data = {"event": "action", "timestamp": timestamp, "name": turn["action"]}
            rows.append(dict(type_name="action", intent_name=None, action_name=turn["action"], data=data))
        else:
            data = {"event": "slot", "timestamp": timestamp, "name": turn["slot"], "value": turn["value"]}
            rows.append(dict(type_name="slot", intent_name=None, action_name=turn["slot"], data=data))
    with engine.begin() as connection:
        for row in rows:
            data = row.pop("data")
            connection.execute(sa.insert(events).values(sender_id=sender_id, timestamp=data["timestamp"], data=json.dumps(data), **row))


def add_alert(engine: sa.engine.Engine, sender_id: str, created_at: float | None = None, channel: str = "rest") -> int:
    created_at = time.time() if created_at is None else created_at
    with engine.begin() as connection:
        result = connection.execute(
            sa.insert(storage.crisis_alerts).values(
                sender_id=sender_id, channel=channel, detector="both", created_at=created_at, attempts=0, next_attempt_at=created_at
            )
        )
        return int(result.inserted_primary_key[0])


PHQ9 = [2, 2, 1, 3, 0, 2, 1, 0, 1]  # total 12: Moderate; item 9 answered 1
GAD7 = [1, 1, 2, 0, 1, 0, 1]  # total 6: Mild
FLAGS = [  # as bot.intake.flags.Flag.as_dict() stores them
    {"key": "phq9_9", "level": "urgent", "text": "PHQ-9 item 9 above 0: clinician follow-up", "source": None},
    {"key": "lisinopril", "level": "caution", "text": "Takes lisinopril: blood pressure review", "source": None},
]


def add_intake(engine: sa.engine.Engine, sender_id: str, status: str = "submitted", now: float | None = None, **answers: Any) -> int:
    """An intake row as the intake forms write it: answers and flags encrypted, totals and bands in clear.

    Started ten minutes and submitted one minute before `now` (the present unless given).
    """
    now = time.time() if now is None else now
    values = {f"phq9_{n}": v for n, v in enumerate(PHQ9, start=1)} | {f"gad7_{n}": v for n, v in enumerate(GAD7, start=1)}
    values.update({"full_name": "Jordan Rivera", "phone": "+1 (555) 010-2030", "current_medications": ["sertraline", "lisinopril"]})
    values.update(answers)
    with engine.begin() as connection:
        result = connection.execute(
            sa.insert(storage.intakes).values(
                sender_id=sender_id,
                channel="rest",
                status=status,
                created_at=now - 600,
                submitted_at=now - 60 if status != "started" else None,
                answers=crypto.encrypt(values),
                phq9_total=sum(PHQ9),
                phq9_band="Moderate",
                gad7_total=sum(GAD7),
                gad7_band="Mild",
                antidepressant_trials=2,
                flags=crypto.encrypt(FLAGS),
            )
        )
        return int(result.inserted_primary_key[0])
