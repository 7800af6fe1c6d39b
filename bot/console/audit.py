"""The append-only audit log: who did what, when.

This module only inserts and reads. The database itself refuses UPDATE and
DELETE on the table (triggers in bot.storage), so a bug or a curious admin
cannot rewrite history either.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import storage

SYSTEM = "system"


def record(
    database: Engine | Connection, actor: str, action: str, target: str = "", detail: str = "", ip: str = ""
) -> None:
    """Append one entry; `target` is an id (conversation, intake, alert), never patient text.

    Given a connection, the entry joins that connection's transaction, so what it records
    and the entry itself are committed together or not at all.
    """
    entry = sa.insert(storage.audit_log).values(
        at=time.time(), actor=actor[:255], action=action[:64], target=target[:255], detail=detail[:500], ip=ip[:64]
    )
    if isinstance(database, Connection):
        database.execute(entry)
        return
    with database.begin() as connection:
        connection.execute(entry)


def entries(engine: Engine, limit: int = 200, actor: str = "", action: str = "") -> list[dict[str, Any]]:
    """Newest first, optionally narrowed to one actor or one action."""
    table = storage.audit_log
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit)
    if actor:
        query = query.where(table.c.actor == actor)
    if action:
        query = query.where(table.c.action == action)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]
