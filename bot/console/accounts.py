"""Staff accounts: argon2 password hashes, and a login that slows down and locks out guessing.

Accounts are only created from the command line (`python -m bot staff-user`),
so the web application has no sign-up or password-reset page to attack.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from bot import storage

ROLES = ("staff", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_FAILED_LOGINS = 5
LOCKOUT_SECONDS = 15 * 60
# Each failed attempt costs the guesser this long before the answer comes back.
FAILED_LOGIN_DELAY_SECONDS = 1.0

_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(Exception):
    """A staff account cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    user: dict[str, Any] | None
    reason: str  # ok | wrong | locked

    @property
    def ok(self) -> bool:
        return self.user is not None


def save_user(engine: Engine, email: str, password: str, role: str) -> bool:
    """Create the account, or reset its password and role; returns True when it was created."""
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an e-mail address.")
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    table = storage.staff_users
    values = {"password_hash": _hasher.hash(password), "role": role, "failed_logins": 0, "locked_until": None}
    with engine.begin() as connection:
        existing = connection.execute(sa.select(table.c.id).where(table.c.email == email)).scalar()
        if existing is None:
            connection.execute(sa.insert(table).values(email=email, created_at=time.time(), **values))
            return True
        connection.execute(sa.update(table).where(table.c.id == existing).values(**values))
        return False


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(engine: Engine, email: str, password: str, now: float | None = None) -> LoginResult:
    """Check a login. A locked account is refused even with the right password until the lock ends."""
    now = time.time() if now is None else now
    table = storage.staff_users
    with engine.connect() as connection:
        user = connection.execute(sa.select(table).where(table.c.email == email.strip().lower())).mappings().first()
    if user is None:
        _password_matches(_DUMMY_HASH, password)
        await asyncio.sleep(FAILED_LOGIN_DELAY_SECONDS)
        return LoginResult(None, "wrong")
    if user["locked_until"] and user["locked_until"] > now:
        await asyncio.sleep(FAILED_LOGIN_DELAY_SECONDS)
        return LoginResult(None, "locked")
    if not _password_matches(user["password_hash"], password):
        failures = (user["failed_logins"] or 0) + 1
        locked_until = now + LOCKOUT_SECONDS if failures >= MAX_FAILED_LOGINS else None
        with engine.begin() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.id == user["id"])
                .values(failed_logins=0 if locked_until else failures, locked_until=locked_until)
            )
        await asyncio.sleep(FAILED_LOGIN_DELAY_SECONDS)
        return LoginResult(None, "locked" if locked_until else "wrong")
    changes: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(user["password_hash"]):
        changes["password_hash"] = _hasher.hash(password)
    with engine.begin() as connection:
        connection.execute(sa.update(table).where(table.c.id == user["id"]).values(**changes))
    return LoginResult(dict(user), "ok")
