"""An event broker that records crisis turns in the alert outbox and nothing else."""

from __future__ import annotations

import json
import logging
import time
from asyncio import AbstractEventLoop
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot import storage
from bot.crisis import CRISIS_INTENT, NOT_SAFE_INTENT, SIGNAL_ENTITY
from bot.settings import VAR_DIR

logger = logging.getLogger(__name__)
SPOOL_FILE = VAR_DIR / "alert-spool.jsonl"


def alert_from_event(event: dict[str, Any], now: float) -> dict[str, Any] | None:
    """The outbox row for a user turn the crisis detector flagged, or that said "I'm not safe", else None.

    Only ids and labels go in: the alert links to the conversation, it never
    carries what the person wrote.
    """
    if event.get("event") != "user":
        return None
    parse_data = event.get("parse_data") or {}
    intent = (parse_data.get("intent") or {}).get("name")
    if intent not in {CRISIS_INTENT, NOT_SAFE_INTENT}:
        return None
    detector = "not_safe" if intent == NOT_SAFE_INTENT else next(
        (e.get("value") for e in parse_data.get("entities") or [] if e.get("entity") == SIGNAL_ENTITY), "intent"
    )
    return {
        "sender_id": str(event.get("sender_id")),
        "channel": event.get("input_channel"),
        "detector": detector,
        "created_at": float(event.get("timestamp") or now),
        "attempts": 0,
        "next_attempt_at": now,
    }


class AlertOutbox(EventBroker):
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        storage.create_tables(database_url)

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> AlertOutbox:
        return cls(broker_config.url)

    def publish(self, event: dict[str, Any]) -> None:
        row = alert_from_event(event, time.time())
        if row is None:
            return
        try:
            with storage.engine(self.database_url).begin() as connection:
                connection.execute(sa.insert(storage.crisis_alerts).values(**row))
        except Exception:  # noqa: BLE001 - an alert must never break the conversation
            logger.exception("Crisis alert could not be stored; spooling it to %s", SPOOL_FILE)
            SPOOL_FILE.parent.mkdir(exist_ok=True)
            with SPOOL_FILE.open("a", encoding="utf-8") as spool:
                spool.write(json.dumps(row) + "\n")

    def is_ready(self) -> bool:
        return True
