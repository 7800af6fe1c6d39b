"""Alert webhook failing: the person's reply is unaffected, and the alert is retried until it gets through.

tests/test_alerts.py checks the retry and back-off on the delivery function
alone; this runs the whole assistant with its alert worker against a webhook
that fails the first two deliveries of every alert.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import storage
from bot.stack import Stack, free_port
from tests.conftest import Assistant, make_settings, new_sender
from tests.test_crisis_conversations import assert_crisis_reply

FAILURES_PER_ALERT = 2


class FlakyWebhook(ThreadingHTTPServer):
    """Answers 500 to the first deliveries of each alert (told apart by their link), then accepts it."""

    def __init__(self) -> None:
        self.tries: Counter[str] = Counter()
        self.accepted: list[str] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                text = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["text"]
                link = text.rsplit(" ", 1)[-1]
                webhook.tries[link] += 1
                if webhook.tries[link] > FAILURES_PER_ALERT:
                    webhook.accepted.append(link)
                self.send_response(200 if webhook.tries[link] > FAILURES_PER_ALERT else 500)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def flaky_webhook() -> Iterator[FlakyWebhook]:
    server = FlakyWebhook()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def alert_row(database_url: str, sender: str) -> dict:
    with storage.engine(database_url).connect() as connection:
        query = sa.select(storage.crisis_alerts).where(storage.crisis_alerts.c.sender_id == sender)
        return dict(connection.execute(query).mappings().one())


def test_failing_webhook_leaves_the_reply_alone_and_the_alert_is_retried(tmp_path: Path, flaky_webhook: FlakyWebhook) -> None:
    settings = make_settings(tmp_path, ALERT_WEBHOOK_URL=flaky_webhook.url, ALERT_POLL_SECONDS="0.5")
    stack = Stack(settings, name="test-faults-alerts", action_server=False, console=False)
    stack.start()
    try:
        sender = new_sender()
        assert_crisis_reply(Assistant(stack).send("i want to end my life", sender))
        link = f"{settings.console_url}/alerts/{alert_row(settings.database_url, sender)['id']}"
        deadline = time.monotonic() + 60  # back-off: 5 s after the first failure, 10 s after the second
        while link not in flaky_webhook.accepted and time.monotonic() < deadline:
            time.sleep(0.25)
    finally:
        stack.stop()
    assert flaky_webhook.tries[link] == FAILURES_PER_ALERT + 1, "tried until accepted, and not again after"
    alert = alert_row(settings.database_url, sender)
    assert alert["attempts"] == FAILURES_PER_ALERT and "500" in alert["last_error"] and alert["webhook_sent_at"] is not None
