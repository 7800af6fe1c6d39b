"""A local stand-in for Twilio's REST API that records every SMS the assistant sends.

The assistant's Twilio client is pointed here with TWILIO_API_BASE, so tests see
exactly what a phone would receive and the real API is never called.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


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
