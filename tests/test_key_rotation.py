"""Key rotation as a clinic does it: new key first, `rotate-keys`, then the old key removed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import crypto, storage
from bot.channels.sms_contacts import ContactStore
from bot.console import intakes as console_intakes
from bot.settings import ROOT
from tests.console_support import add_intake


def use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setenv("DATA_KEYS", ",".join(keys))
    crypto._cipher.cache_clear()


def rotate_keys(database_url: str, *keys: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_KEYS": ",".join(keys), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot", "rotate-keys"], env=env, capture_output=True, text=True, timeout=120)


def test_after_rotation_the_old_key_can_be_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = crypto.new_key(), crypto.new_key()
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    storage.create_tables(url)
    engine = storage.engine(url)
    use_keys(monkeypatch, old)
    intake_id = add_intake(engine, "chat-1", full_name="Morgan Lee")
    console_intakes.add_note(engine, intake_id, "dana@clinic.example", "Called back, booked for Monday.")
    ContactStore(url).remember("sms-1", "+15550102030")

    result = rotate_keys(url, new, old)
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 4 stored values" in result.stdout  # answers, flags, the note and the phone number

    use_keys(monkeypatch, new)
    with engine.connect() as connection:
        intake = console_intakes.load(connection, intake_id)
    assert intake.answers["full_name"] == "Morgan Lee"
    assert [note["body"] for note in intake.notes] == ["Called back, booked for Monday."]
    assert ContactStore(url).get("sms-1").phone == "+15550102030"
    with engine.connect() as connection:
        audit = connection.execute(sa.select(storage.audit_log.c.action)).scalars().all()
    assert audit[-1] == "keys_rotated"


def test_without_the_key_that_wrote_the_data_rotation_says_so_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    storage.create_tables(url)
    use_keys(monkeypatch, crypto.new_key())
    add_intake(storage.engine(url), "chat-2")
    with storage.engine(url).connect() as connection:
        before = connection.execute(sa.select(storage.intakes.c.answers)).scalar_one()
    result = rotate_keys(url, crypto.new_key())
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "the key that wrote it is missing" in result.stderr
    with storage.engine(url).connect() as connection:
        assert connection.execute(sa.select(storage.intakes.c.answers)).scalar_one() == before
