"""Shared fixtures: a real running assistant (the same `Stack` that `make run` starts).

The assistant runs on free ports with its own SQLite file, so tests never touch
a developer's conversations and can run beside `make run`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bot import settings as config
from bot.stack import MODEL_FILE, Stack, free_port

IN_CI = os.environ.get("CI", "").lower() == "true"
TOKEN = "test-token-" + uuid.uuid4().hex


@dataclass
class Assistant:
    stack: Stack

    @property
    def url(self) -> str:
        return self.stack.rasa_url

    def send(self, text: str, sender: str | None = None, channel: str = "rest") -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.url}/webhooks/{channel}/webhook", json={"sender": sender or new_sender(), "message": text}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = requests.get(f"{self.url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30)
        response.raise_for_status()
        return response.json()

    def slot(self, sender: str, name: str) -> Any:
        return self.tracker(sender)["slots"].get(name)


def new_sender() -> str:
    return "test-" + uuid.uuid4().hex


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def make_settings(tmp: Path, **overrides: str) -> config.Settings:
    values = {
        "DATABASE_URL": f"sqlite:///{tmp / 'assistant.db'}",
        "REDIS_URL": "",
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "RASA_TOKEN": TOKEN,
        "CONSOLE_PORT": str(free_port()),
        "ALERT_WEBHOOK_URL": "",
        "SMTP_HOST": "",
        # SMS off unless a test turns it on with its fake Twilio: tests never reach the real API.
        "TWILIO_ACCOUNT_SID": "",
        "TWILIO_AUTH_TOKEN": "",
        "TWILIO_NUMBER": "",
        "TWILIO_API_BASE": "",
        "PUBLIC_URL": "",
    }
    values.update(overrides)
    return config.load(env_file=tmp / "absent.env", overrides=values)


def start_stack(tmp: Path, name: str, settings: dict[str, str] | None = None, **kwargs: Any) -> Stack:
    model = Path(os.environ.get("ASSISTANT_MODEL", MODEL_FILE))
    kwargs.setdefault("alert_worker", False)
    stack = Stack(make_settings(tmp, **(settings or {})), model=model, name=f"test-{name}", **kwargs)
    stack.start()
    return stack


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    stack = start_stack(tmp_path_factory.mktemp("assistant"), "assistant")
    try:
        yield Assistant(stack)
    finally:
        stack.stop()
