"""Crisis alerts as staff see them: when, on which channel, and who acknowledged them."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot import storage


def _with_acknowledgements() -> sa.sql.Select:
    alerts, acks = storage.crisis_alerts, storage.alert_acknowledgements
    return sa.select(alerts, acks.c.acknowledged_by, acks.c.acknowledged_at).join(
        acks, acks.c.alert_id == alerts.c.id, isouter=True
    )


def get(connection: Connection, alert_id: int) -> dict[str, Any] | None:
    row = connection.execute(_with_acknowledgements().where(storage.crisis_alerts.c.id == alert_id)).mappings().first()
    return dict(row) if row else None


def for_conversation(connection: Connection, sender_id: str) -> list[dict[str, Any]]:
    query = _with_acknowledgements().where(storage.crisis_alerts.c.sender_id == sender_id).order_by(storage.crisis_alerts.c.id)
    return [dict(row) for row in connection.execute(query).mappings()]


def all_alerts(connection: Connection) -> list[dict[str, Any]]:
    return [dict(row) for row in connection.execute(_with_acknowledgements().order_by(storage.crisis_alerts.c.id)).mappings()]


def acknowledge(engine: Engine, alert_id: int, staff: str) -> bool:
    """Record who took responsibility; False if someone already had (the first acknowledgement stands)."""
    acks = storage.alert_acknowledgements
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(acks).values(alert_id=alert_id, acknowledged_by=staff, acknowledged_at=time.time()))
    except sa.exc.IntegrityError:
        return False
    return True
