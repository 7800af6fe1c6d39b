"""Delivers crisis alerts from the outbox to the clinic: webhook and e-mail, with back-off."""

from __future__ import annotations

import json
import logging
import smtplib
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Any

import requests
import sqlalchemy as sa

from bot import storage
from bot.alerts.broker import SPOOL_FILE
from bot.settings import Settings

logger = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300


def alert_text(alert: Mapping[str, Any], settings: Settings) -> str:
    when = datetime.fromtimestamp(alert["created_at"], tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Crisis alert #{alert['id']}: a person chatting with the clinic assistant may be at risk. "
        f"Detected {when} on {alert['channel'] or 'an unknown channel'} (detector: {alert['detector']}). "
        f"The assistant has given them crisis lines (988, 741741, 911). "
        f"Open the conversation: {settings.console_url}/alerts/{alert['id']}"
    )


def send_webhook(alert: Mapping[str, Any], settings: Settings) -> None:
    response = requests.post(settings.alert_webhook_url, json={"text": alert_text(alert, settings)}, timeout=10)
    response.raise_for_status()


def send_email(alert: Mapping[str, Any], settings: Settings) -> None:
    message = EmailMessage()
    message["Subject"] = f"Crisis alert #{alert['id']} - clinic assistant"
    message["From"] = settings.alert_email_from
    message["To"] = settings.alert_email_to
    message.set_content(alert_text(alert, settings))
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def ingest_spool(settings: Settings) -> int:
    """Move alerts the broker could not store (database down) into the outbox."""
    if not SPOOL_FILE.exists():
        return 0
    claimed = SPOOL_FILE.with_suffix(".claimed")
    SPOOL_FILE.replace(claimed)
    rows = [json.loads(line) for line in claimed.read_text(encoding="utf-8").splitlines() if line.strip()]
    if rows:
        with storage.engine(settings.database_url).begin() as connection:
            connection.execute(sa.insert(storage.crisis_alerts), rows)
    claimed.unlink()
    return len(rows)


def deliver_due(settings: Settings, now: float | None = None) -> int:
    """Try every alert that is due; returns how many were fully delivered this round."""
    now = time.time() if now is None else now
    table = storage.crisis_alerts
    channels = []
    if settings.alert_webhook_url:
        channels.append(("webhook_sent_at", send_webhook))
    if settings.smtp_host and settings.alert_email_to:
        channels.append(("email_sent_at", send_email))
    if not channels:
        return 0
    pending = sa.or_(*[table.c[column].is_(None) for column, _ in channels])
    engine = storage.engine(settings.database_url)
    with engine.connect() as connection:
        due = connection.execute(sa.select(table).where(pending, table.c.next_attempt_at <= now)).mappings().all()
    delivered = 0
    for alert in due:
        changes: dict[str, Any] = {}
        errors = []
        for column, send in channels:
            if alert[column] is not None:
                continue
            try:
                send(alert, settings)
                changes[column] = time.time()
                logger.info("Crisis alert %s sent (%s)", alert["id"], column.split("_")[0])
            except Exception as error:  # noqa: BLE001 - any failure means retry later
                errors.append(f"{column.split('_')[0]}: {type(error).__name__}: {error}"[:240])
        if errors:
            attempts = alert["attempts"] + 1
            changes.update(
                attempts=attempts,
                next_attempt_at=now + min(MAX_BACKOFF_SECONDS, 5 * 2 ** (attempts - 1)),
                last_error="; ".join(errors)[:500],
            )
            logger.warning("Crisis alert %s not delivered (attempt %s): %s", alert["id"], attempts, changes["last_error"])
        else:
            delivered += 1
        with engine.begin() as connection:
            connection.execute(sa.update(table).where(table.c.id == alert["id"]).values(**changes))
    return delivered


def run_forever(settings: Settings) -> None:
    storage.create_tables(settings.database_url)
    logger.info("Alert worker started (webhook: %s, e-mail: %s)", bool(settings.alert_webhook_url), bool(settings.smtp_host))
    while True:
        try:
            ingest_spool(settings)
            deliver_due(settings)
        except Exception:  # noqa: BLE001 - keep the worker alive through database outages
            logger.exception("Alert worker round failed; retrying")
        time.sleep(settings.alert_poll_seconds)
