"""Keyed hashes for the channels: pseudonymous SMS sender ids and signed web-chat sessions.

Both need one stable secret. A phone number must never become a sender id
(sender ids appear in logs, alerts and the staff console), and a web visitor
must not be able to resume someone else's conversation by guessing or copying
a sender id, so a session is only accepted with the server's signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from pathlib import Path

from bot.settings import VAR_DIR

SECRET_FILE = VAR_DIR / "channel.key"


def load_secret(configured: str | None, path: Path = SECRET_FILE) -> bytes:
    """`CHANNEL_SECRET` from `.env`, else one generated once into `var/` so a laptop install works.

    Changing it gives every SMS sender a new id and ends every web-chat session.
    """
    if configured and configured.strip():
        return configured.strip().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode("ascii"))
    except FileExistsError:
        pass
    return path.read_text(encoding="ascii").strip().encode("ascii")


def _mac(secret: bytes, purpose: str, value: str) -> bytes:
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()


def sms_sender_id(secret: bytes, phone: str) -> str:
    """The same id for the same number every time, so a returning patient's conversation resumes."""
    return "sms-" + _mac(secret, "sms-sender", phone.strip()).hex()[:32]


def issue_session(secret: bytes, sender_id: str | None = None, now: float | None = None) -> str:
    """A token `<sender id>.<issued at>.<signature>`; a new random sender id unless one is renewed."""
    sender_id = sender_id or "web-" + uuid.uuid4().hex
    issued = str(int(time.time() if now is None else now))
    signature = base64.urlsafe_b64encode(_mac(secret, "web-session", f"{sender_id}.{issued}")).decode("ascii").rstrip("=")
    return f"{sender_id}.{issued}.{signature}"


def verify_session(secret: bytes, token: object, max_age_seconds: float, now: float | None = None) -> str | None:
    """The sender id of a token this server signed within `max_age_seconds`, else None."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    sender_id, issued, _ = token.split(".")
    # isdigit() alone is not enough: it accepts "²", which int() refuses (a forged token crashed the handler).
    if not sender_id.startswith("web-") or not (issued.isascii() and issued.isdigit()):
        return None
    age = (time.time() if now is None else now) - int(issued)
    if not -60 <= age <= max_age_seconds:  # a minute of clock skew between instances
        return None
    expected = issue_session(secret, sender_id, now=int(issued))
    return sender_id if hmac.compare_digest(expected.encode(), token.encode()) else None
