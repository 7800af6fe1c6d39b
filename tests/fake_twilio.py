"""A local stand-in for Twilio's REST API that records every SMS the assistant sends.

The assistant's Twilio client is pointed here with TWILIO_API_BASE, so tests see
exactly what a phone would receive and the real API is never called.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator

from tests.conftest import Assistant, start_stack


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def bodies_to(self, phone: str, since: int = 0) -> list[str]:
        with self.lock:
            return [m["Body"] for m in self.messages[since:] if m["To"] == phone]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                parts = self.path.strip("/").split("/")  # 2010-04-01/Accounts/<sid>/Messages.json
                if len(parts) != 4 or parts[1] != "Accounts" or parts[3] != "Messages.json":
                    self.send_error(404)
                    return
                user = base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1]).decode().split(":")[0]
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                message = {**form, "account": parts[2], "auth_user": user}
                with fake.lock:
                    fake.messages.append(message)
                body = {
                    "sid": "SM" + uuid.uuid4().hex,
                    "account_sid": parts[2],
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                    "num_segments": "1",
                    "date_created": formatdate(usegmt=True),
                }
                payload = json.dumps(body).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep phone numbers and message bodies out of the test output

        return Handler


# One clinic's Twilio set-up for the SMS tests; signatures are computed for PUBLIC_URL,
# the address a tunnel would give, while requests reach the assistant on localhost.
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-" + uuid.uuid4().hex
NUMBER = "+15550100100"
PUBLIC_URL = "https://clinic-tunnel.example.test"
WEBHOOK = "/webhooks/twilio/webhook"
SECRET = "test-channel-secret"


@contextmanager
def sms_assistant(tmp: Path, name: str) -> Iterator[tuple[Assistant, FakeTwilio]]:
    """A running assistant whose SMS channel is configured and talks to a FakeTwilio."""
    with FakeTwilio() as twilio:
        settings = {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_NUMBER": NUMBER,
            "TWILIO_API_BASE": twilio.url,
            "PUBLIC_URL": PUBLIC_URL,
            "CHANNEL_SECRET": SECRET,
        }
        stack = start_stack(tmp, name, settings=settings)
        try:
            yield Assistant(stack), twilio
        finally:
            stack.stop()


def post_sms(
    assistant: Assistant, number: str, body: str, token: str = AUTH_TOKEN, signed_url: str = PUBLIC_URL + WEBHOOK,
    sign: bool = True, **form: str,
) -> requests.Response:
    """Twilio's inbound webhook request for an SMS from `number`, signed as Twilio signs it."""
    params = {"From": number, "To": NUMBER, "Body": body, "MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID}
    headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(signed_url, params)} if sign else {}
    params.update(form)  # after signing: a changed field must break the signature
    return requests.post(assistant.url + WEBHOOK, data=params, headers=headers, timeout=60)
