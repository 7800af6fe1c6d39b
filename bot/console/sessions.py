"""Server-side login sessions with a CSRF token each, ended by logout or inactivity.

The cookie carries only a random token; the database keeps its SHA-256, so a
copy of the database cannot be replayed as a login. Each session has its own
CSRF token that every form posts back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import storage

COOKIE_NAME = "console_session"
# Even an active session ends after this long, so a forgotten tab does not stay logged in for days.
MAX_SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    token_hash: str
    user_id: int
    email: str
    role: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(engine: Engine, user: dict[str, Any]) -> str:
    """Open a session for a user who just logged in; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(storage.staff_sessions).values(
                token_hash=_digest(token), user_id=user["id"], csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now
            )
        )
    return token


def resume(engine: Engine, token: str, idle_seconds: float, now: float | None = None) -> tuple[Session | None, str | None]:
    """The session behind a cookie, touched as seen now; else None and, if it just expired, whose it was."""
    now = time.time() if now is None else now
    sessions, users = storage.staff_sessions, storage.staff_users
    digest = _digest(token)
    query = (
        sa.select(sessions, users.c.email, users.c.role)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.token_hash == digest)
    )
    with engine.begin() as connection:
        row = connection.execute(query).mappings().first()
        if row is None:
            return None, None
        if now - row["last_seen_at"] > idle_seconds or now - row["created_at"] > MAX_SESSION_SECONDS:
            connection.execute(sa.delete(sessions).where(sessions.c.token_hash == digest))
            return None, row["email"]
        connection.execute(sa.update(sessions).where(sessions.c.token_hash == digest).values(last_seen_at=now))
    return Session(digest, row["user_id"], row["email"], row["role"], row["csrf_token"]), None


def end(engine: Engine, session: Session) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(storage.staff_sessions).where(storage.staff_sessions.c.token_hash == session.token_hash))


def csrf_matches(expected: str, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(expected.encode("utf-8"), str(submitted).encode("utf-8"))
