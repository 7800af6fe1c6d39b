"""`python -m bot retention`: what is past the retention period goes, what is not stays, and the audit log says so."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import storage
from bot.channels.sms_contacts import ContactStore
from bot.console.transcripts import events
from bot.settings import ROOT
from tests.console_support import add_alert, add_events, add_intake
from tests.scaled_services import fresh_postgres_database

DAY = 86400
TURNS = [{"user": "how much does it cost?"}, {"bot": "Prices vary.", "utter_action": "utter_faq/costs"}]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'assistant.db'}"
        return
    with fresh_postgres_database() as url:
        yield url
        storage.engine(url).dispose()


def retention(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "RETENTION_DAYS": "30", "INTAKE_RETENTION_DAYS": "60",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "bot", "retention", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def senders(engine: sa.engine.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(events.c.sender_id).distinct()).scalars())


def intake_ids(engine: sa.engine.Engine) -> set[int]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(storage.intakes.c.id)).scalars())


def age_intake(engine: sa.engine.Engine, intake_id: int, days: float) -> None:
    at = time.time() - days * DAY
    with engine.begin() as connection:
        connection.execute(
            sa.update(storage.intakes).where(storage.intakes.c.id == intake_id)
            .values(created_at=at, submitted_at=at, reviewed_at=at if days else None)
        )  # fmt: skip


def test_retention_deletes_only_what_is_past_its_period_and_audits_it(database_url: str) -> None:
    storage.create_tables(database_url)
    engine = storage.engine(database_url)
    events.metadata.create_all(engine)
    contacts = ContactStore(database_url)
    now = time.time()
    add_events(engine, "old-chat", TURNS, start=now - 45 * DAY)
    add_events(engine, "old-sms-stopped", TURNS, start=now - 45 * DAY)
    add_events(engine, "recent-chat", TURNS, start=now - 45 * DAY)
    add_events(engine, "recent-chat", TURNS, start=now - 2 * DAY)  # an old conversation that went on lately stays
    old_alert = add_alert(engine, "old-chat", created_at=now - 45 * DAY)
    recent_alert = add_alert(engine, "recent-chat", created_at=now - 2 * DAY)
    contacts.remember("old-chat", "+15550102030")
    contacts.remember("old-sms-stopped", "+15550102031")
    contacts.opt_out("old-sms-stopped")
    reviewed_old = add_intake(engine, "old-chat", status="reviewed")
    unreviewed_old = add_intake(engine, "old-chat", status="submitted")
    reviewed_recent = add_intake(engine, "recent-chat", status="reviewed")
    age_intake(engine, reviewed_old, 90)
    age_intake(engine, unreviewed_old, 90)
    age_intake(engine, reviewed_recent, 10)
    with engine.begin() as connection:
        connection.execute(sa.insert(storage.staff_notes).values(intake_id=reviewed_old, author="dana", created_at=now, body="x"))

    preview = retention(database_url, "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "Would delete 2 conversations and 1 intakes (1 expired intakes are kept: not reviewed yet)" in preview.stdout
    assert senders(engine) == {"old-chat", "old-sms-stopped", "recent-chat"}, "a dry run deletes nothing"

    done = retention(database_url)
    assert done.returncode == 0, done.stderr
    assert senders(engine) == {"recent-chat"}
    assert intake_ids(engine) == {unreviewed_old, reviewed_recent}
    assert contacts.get("old-chat") is None
    assert contacts.get("old-sms-stopped").opted_out, "the STOP record stays: carriers require it"
    with engine.connect() as connection:
        alerts = set(connection.execute(sa.select(storage.crisis_alerts.c.id)).scalars())
        notes = connection.execute(sa.select(sa.func.count()).select_from(storage.staff_notes)).scalar_one()
        audit = connection.execute(sa.select(storage.audit_log)).mappings().all()
    assert old_alert not in alerts and recent_alert in alerts
    assert notes == 0
    assert [(row["actor"], row["action"]) for row in audit] == [("system", "retention_purge")]
    assert "2 conversations" in audit[0]["detail"] and "1 intakes" in audit[0]["detail"]
    assert "Jordan" not in audit[0]["detail"], "the audit entry holds counts, not patient data"

    again = retention(database_url)
    assert again.returncode == 0 and "Deleted 0 conversations" in again.stdout
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(storage.audit_log)).scalar_one() == 1


def test_retention_with_the_database_down_says_so_and_deletes_nothing(tmp_path: Path) -> None:
    result = retention("postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("error: retention:") and "Traceback" not in result.stderr
