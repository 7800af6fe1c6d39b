"""The knowledge base is the single source of FAQ answers; the build turns it into training data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot import knowledge

TOPICS_REQUIRED = {
    "how_ketamine_works", "iv_vs_spravato", "fda_approved", "number_of_treatments", "how_fast_it_works",
    "how_long_it_lasts", "suicidal_thoughts", "side_effects", "blood_pressure", "dissociation", "bladder",
    "addiction_risk", "monitoring", "preparing_food", "preparing_medications", "driving_getting_home",
    "pregnancy_breastfeeding", "bipolar", "psychosis", "substance_use_history", "interacting_medications",
    "cost_iv", "insurance_coverage", "spravato_insurance", "hsa_fsa", "superbills", "payment_plans",
    "consultation_what_happens", "privacy_of_chat", "talk_to_human",
}  # fmt: skip


@pytest.fixture(scope="module")
def entries() -> list[knowledge.Entry]:
    return knowledge.load_entries()


def test_at_least_45_entries_cover_the_required_topics(entries: list[knowledge.Entry]) -> None:
    ids = {e.id for e in entries}
    assert len(ids) >= 45
    assert TOPICS_REQUIRED <= ids


def test_every_entry_has_sources_a_review_date_and_an_sms_that_fits(entries: list[knowledge.Entry]) -> None:
    for entry in entries:
        assert entry.sources and all(s.get("title") for s in entry.sources), entry.id
        assert entry.last_reviewed, entry.id
        assert len(entry.sms) <= knowledge.SMS_LIMIT, entry.id
        assert len(entry.examples) >= 8, entry.id


def test_clinic_placeholders_are_filled_from_clinic_yml(entries: list[knowledge.Entry]) -> None:
    clinic = knowledge.load_clinic()
    cost = next(e for e in entries if e.id == "cost_iv")
    assert clinic["price_iv_infusion"] in cost.answer
    assert all("{" not in e.answer and "{" not in e.sms for e in entries)


def test_answers_never_tell_people_to_stop_or_change_a_medication(entries: list[knowledge.Entry]) -> None:
    for entry in entries:
        text = f"{entry.answer} {entry.sms}".lower()
        for instruction in ("stop taking", "stop your", "discontinue your", "increase your dose", "lower your dose"):
            if instruction in text:
                window = text[max(0, text.index(instruction) - 60) : text.index(instruction)]
                assert any(w in window for w in ("never", "don't", "do not", "not ")), (entry.id, instruction)


@pytest.mark.parametrize("entry_id", ["suicidal_thoughts", "screening_questions"])
def test_answers_about_suicidal_thoughts_give_crisis_lines(entries: list[knowledge.Entry], entry_id: str) -> None:
    entry = next(e for e in entries if e.id == entry_id)
    for text in (entry.answer, entry.sms):
        assert "988" in text and "741741" in text and "911" in text


def test_generated_training_data_has_every_entry_with_web_and_sms_answers(tmp_path: Path) -> None:
    target = knowledge.build(tmp_path / "faq.yml")
    data = yaml.safe_load(target.read_text())
    entries = knowledge.load_entries()
    assert {block["intent"] for block in data["nlu"]} == {f"faq/{e.id}" for e in entries}
    web, sms = data["responses"]["utter_faq/cost_iv"]
    assert "Sources:" in web["text"] and web["metadata"]["kb_entry"] == "cost_iv"
    assert sms["channel"] == "twilio" and len(sms["text"]) <= knowledge.SMS_LIMIT


def test_a_broken_entry_is_reported_with_its_file_name(tmp_path: Path) -> None:
    entries_dir = tmp_path / "entries"
    shutil.copytree(knowledge.ENTRIES_DIR, entries_dir)
    broken = entries_dir / "cost_iv.yml"
    data = yaml.safe_load(broken.read_text())
    data["sms"] = "x" * 400
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(knowledge.KnowledgeError, match="cost_iv.yml"):
        knowledge.load_entries(entries_dir)


def test_an_unknown_placeholder_is_reported(tmp_path: Path) -> None:
    entries_dir = tmp_path / "entries"
    shutil.copytree(knowledge.ENTRIES_DIR, entries_dir)
    target = entries_dir / "hsa_fsa.yml"
    data = yaml.safe_load(target.read_text())
    data["answer"] += " Call {front_desk_phone}."
    target.write_text(yaml.safe_dump(data))
    with pytest.raises(knowledge.KnowledgeError, match="front_desk_phone"):
        knowledge.load_entries(entries_dir)
