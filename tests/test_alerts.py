"""Staff alerts: recorded off the reply path, delivered by webhook and e-mail, retried, minimal content."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bot import storage
from bot.alerts import delivery
from bot.alerts.broker import AlertOutbox, alert_from_event
from bot.stack import Stack, free_port
from tests.conftest import Assistant, make_settings, new_sender, texts

SECRET_TEXT = "my name is Jane Roe, 555-867-5309, I want to kill myself"


class WebhookReceiver(ThreadingHTTPServer):
    """A local stand-in for a Slack/Teams incoming webhook."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(500)
                else:
                    receiver.received.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd API
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[attr-defined]
        self.messages.append(message.get_body().get_content())
        return "250 OK"


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def crisis_event(sender: str = "conv-1") -> dict:
    return {
        "event": "user",
        "sender_id": sender,
        "timestamp": 1_700_000_000.0,
        "text": SECRET_TEXT,
        "input_channel": "rest",
        "parse_data": {
            "intent": {"name": "crisis_disclosure", "confidence": 1.0},
            "entities": [{"entity": "crisis_signal", "value": "both"}],
        },
    }


def test_only_crisis_turns_become_alerts_and_they_carry_no_message_text() -> None:
    ordinary = {**crisis_event(), "parse_data": {"intent": {"name": "faq"}, "entities": []}}
    assert alert_from_event(ordinary, 0.0) is None
    assert alert_from_event({"event": "bot", "text": "hi"}, 0.0) is None
    row = alert_from_event(crisis_event(), 5.0)
    assert row is not None
    assert row["detector"] == "both" and row["sender_id"] == "conv-1" and row["channel"] == "rest"
    assert "Jane" not in json.dumps(row) and "555" not in json.dumps(row)


def test_saying_not_safe_is_an_alert_too() -> None:
    """"I'm not safe" as a first message gets the urgent reply; staff must hear of it like a crisis turn."""
    not_safe = {**crisis_event(), "parse_data": {"intent": {"name": "crisis_not_safe"}, "entities": []}}
    row = alert_from_event(not_safe, 5.0)
    assert row is not None and row["detector"] == "not_safe" and row["sender_id"] == "conv-1"


def test_broker_never_raises_and_spools_when_the_database_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.alerts import broker

    broker_ = AlertOutbox(f"sqlite:///{tmp_path / 'a.db'}")
    broker_.database_url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    spool = tmp_path / "spool.jsonl"
    monkeypatch.setattr(broker, "SPOOL_FILE", spool)
    broker_.publish(crisis_event())
    assert json.loads(spool.read_text())["sender_id"] == "conv-1"


def test_webhook_and_email_delivery_with_retry(tmp_path: Path, webhook: WebhookReceiver, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = make_settings(tmp_path, ALERT_WEBHOOK_URL=webhook.url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port),
                             ALERT_EMAIL_TO="oncall@clinic.example")  # fmt: skip
    AlertOutbox(settings.database_url).publish(crisis_event())
    webhook.fail_next = 1

    assert delivery.deliver_due(settings, now=time.time()) == 0
    with storage.engine(settings.database_url).connect() as connection:
        alert = connection.execute(sa.select(storage.crisis_alerts)).mappings().one()
    assert alert["attempts"] == 1 and "webhook" in alert["last_error"]
    assert alert["email_sent_at"] is not None, "e-mail goes out even while the webhook fails"
    assert alert["next_attempt_at"] > time.time(), "a failed alert backs off before retrying"
    assert delivery.deliver_due(settings, now=time.time()) == 0, "not retried before its back-off ends"

    assert delivery.deliver_due(settings, now=alert["next_attempt_at"] + 1) == 1
    assert len(webhook.received) == 1 and len(inbox.messages) == 1
    for text in (webhook.received[0]["text"], inbox.messages[0]):
        assert f"{settings.console_url}/alerts/{alert['id']}" in text
        assert "Jane" not in text and "555-867" not in text and "kill" not in text
    assert delivery.deliver_due(settings, now=time.time() + 3600) == 0, "delivered alerts are not sent twice"


def test_crisis_conversation_alerts_staff_within_a_minute(tmp_path: Path, webhook: WebhookReceiver) -> None:
    settings = make_settings(tmp_path, ALERT_WEBHOOK_URL=webhook.url, ALERT_POLL_SECONDS="0.5")
    stack = Stack(settings, name="test-alerts", action_server=False)
    stack.start()
    try:
        assistant = Assistant(stack)
        started = time.monotonic()
        replies = assistant.send(SECRET_TEXT, new_sender())
        reply_seconds = time.monotonic() - started
        assert "988" in texts(replies)
        deadline = time.monotonic() + 60
        while not webhook.received and time.monotonic() < deadline:
            time.sleep(0.25)
        assert webhook.received, "no alert reached the webhook within a minute"
        assert "Jane" not in webhook.received[0]["text"]
        assert reply_seconds < 5, "alerting must not hold up the reply"
    finally:
        stack.stop()
