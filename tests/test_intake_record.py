"""The stored intake: structured answers and flags encrypted, scores in clear, one row per intake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bot import crypto, storage
from bot.intake import record
from bot.intake.questions import catalogue

CATALOGUE = catalogue()
TODAY = date(2026, 11, 24)


def slots() -> dict:
    values: dict = {
        "full_name": "Jane Doe",
        "date_of_birth": "2010-01-02",
        "phone": "+15551234567",
        "current_medications": {"text": "klonopin", "medications": [{"generic": "clonazepam", "said": "klonopin", "dose": None}]},
        "antidepressants_tried": "none",
        "kb_entry": "cost_iv",  # not an answer: never stored in the record
    }
    values.update({f"phq9_{n}": 2 for n in range(1, 10)})
    values.update({f"gad7_{n}": 1 for n in range(1, 8)})
    return values


def test_the_record_computes_scores_and_flags_from_the_answers() -> None:
    built = record.build(CATALOGUE, slots(), TODAY)
    assert (built.phq9_total, built.phq9_band) == (18, "Moderately severe")
    assert (built.gad7_total, built.gad7_band) == (7, "Mild")
    assert built.antidepressant_trials == 0
    assert {"phq9_9", "under_18", "benzodiazepine"} <= {f["key"] for f in built.flags}
    assert "kb_entry" not in built.answers


def test_saving_encrypts_answers_and_flags_and_submitting_updates_the_same_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    storage.create_tables(url)
    first = record.save(url, "sender-1", "rest", record.build(CATALOGUE, {"full_name": "Jane Doe"}, TODAY))
    second = record.save(url, "sender-1", "rest", record.build(CATALOGUE, slots(), TODAY), submit=True)
    assert first == second
    with storage.engine(url).connect() as connection:
        rows = connection.execute(sa.select(storage.intakes)).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == record.SUBMITTED and row["submitted_at"] is not None
    assert "Jane" not in row["answers"] and "clonazepam" not in row["flags"]
    assert crypto.decrypt(row["answers"])["full_name"] == "Jane Doe"
    assert "benzodiazepine" in {f["key"] for f in crypto.decrypt(row["flags"])}
    assert row["phq9_total"] == 18 and row["gad7_band"] == "Mild"


def test_a_new_intake_after_a_submitted_one_gets_its_own_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    storage.create_tables(url)
    sent = record.save(url, "sender-2", "rest", record.build(CATALOGUE, slots(), TODAY), submit=True)
    again = record.save(url, "sender-2", "rest", record.build(CATALOGUE, {"full_name": "Jane Doe"}, TODAY))
    assert sent != again


def test_an_item_nine_alert_goes_to_the_crisis_outbox_without_any_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    storage.create_tables(url)
    record.raise_item_nine_alert(url, "sender-3", "twilio")
    with storage.engine(url).connect() as connection:
        alert = connection.execute(sa.select(storage.crisis_alerts)).mappings().one()
    assert (alert["sender_id"], alert["channel"], alert["detector"]) == ("sender-3", "twilio", record.ITEM_NINE_DETECTOR)
    assert alert["attempts"] == 0 and alert["next_attempt_at"] <= alert["created_at"] + 1
