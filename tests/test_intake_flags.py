"""Clinician flags: interacting medicines, screening answers, age, pregnancy and PHQ-9 item 9."""

from __future__ import annotations

from datetime import date

import pytest

from bot import language
from bot.intake import flags
from bot.intake.answers import SKIPPED, read
from bot.intake.questions import catalogue

CATALOGUE = catalogue()
TODAY = date(2026, 11, 24)
NLP = language.load()


def current(text: str) -> dict:
    found = read(CATALOGUE.question("current_medications"), text, NLP(text))
    assert found is not None
    return {"current_medications": found.value, "date_of_birth": "1985-04-23"}


def keys(answers: dict) -> set[str]:
    return {f.key for f in flags.clinician_flags(CATALOGUE, answers, TODAY)}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("klonopin 0.5mg", "benzodiazepine"),
        ("Xanax as needed", "benzodiazepine"),
        ("Lamictal 200mg", "lamotrigine"),
        ("nardil", "maoi"),
        ("adderall", "psychostimulant"),
        ("oxycodone", "opioid"),
        ("naltrexone 50 mg", "opioid_antagonist"),
        ("ambien", "z_drug_sedative_hypnotic"),
        ("lisinopril", "antihypertensive"),
        ("gabapentin", "gabapentinoid"),
    ],
)
def test_interacting_medicines_raise_their_flag(text: str, key: str) -> None:
    assert key in keys(current(text))


def test_an_interaction_flag_names_what_was_listed_and_cites_its_source() -> None:
    flag = next(f for f in flags.clinician_flags(CATALOGUE, current("klonopin 0.5mg"), TODAY) if f.key == "benzodiazepine")
    assert flag.level == "interaction"
    assert "clonazepam (klonopin)" in flag.text
    assert flag.source and "5.6" in flag.source


def test_past_antidepressants_are_not_current_interactions() -> None:
    tried = read(CATALOGUE.question("antidepressants_tried"), "nardil", NLP("nardil"))
    assert tried is not None
    assert "maoi" not in keys({"antidepressants_tried": tried.value, "date_of_birth": "1985-04-23"})


def test_no_medicines_and_no_history_means_no_flags() -> None:
    answers = {"current_medications": "none", "date_of_birth": "1985-04-23", **{slot: "no" for slot in CATALOGUE.screening}}
    assert keys(answers) == set()


def test_screening_yes_and_not_sure_are_flagged_with_their_level() -> None:
    answers = {"date_of_birth": "1985-04-23", "history_aneurysm_avm": "yes", "history_glaucoma": "not sure", "history_seizures": "no"}
    raised = {f.key: f for f in flags.clinician_flags(CATALOGUE, answers, TODAY)}
    assert raised["history_aneurysm_avm"].level == "label"
    assert "not sure" in raised["history_glaucoma"].text
    assert "history_seizures" not in raised


def test_pregnancy_is_flagged() -> None:
    assert "pregnant_or_possibly_pregnant" in keys({"date_of_birth": "1985-04-23", "pregnant_or_possibly_pregnant": "yes"})
    assert "breastfeeding" in keys({"date_of_birth": "1985-04-23", "breastfeeding": "not sure"})


def test_skipped_screening_questions_are_listed_for_the_clinician() -> None:
    raised = {f.key: f for f in flags.clinician_flags(CATALOGUE, {"date_of_birth": "1985-04-23", "history_stroke": SKIPPED}, TODAY)}
    assert "Stroke or TIA" in raised["screening_skipped"].text


@pytest.mark.parametrize(("born", "flagged"), [("2009-11-25", True), ("2008-11-24", False), ("1950-01-01", False)])
def test_under_18_on_the_day_of_the_intake(born: str, flagged: bool) -> None:
    assert ("under_18" in keys({"date_of_birth": born})) is flagged


def test_no_date_of_birth_asks_the_clinician_to_confirm_age() -> None:
    assert "age_unknown" in keys({"date_of_birth": SKIPPED})


@pytest.mark.parametrize(("score", "level"), [(1, "urgent"), (2, "urgent"), (3, "urgent")])
def test_phq9_item9_above_zero_is_the_most_urgent_flag(score: int, level: str) -> None:
    raised = flags.clinician_flags(CATALOGUE, {"date_of_birth": "1985-04-23", "phq9_9": score, "history_high_bp": "yes"}, TODAY)
    assert raised[0].key == "phq9_9" and raised[0].level == level
    assert CATALOGUE.question("phq9_9").options[score].label in raised[0].text


def test_phq9_item9_at_zero_raises_nothing_and_skipped_asks_for_follow_up() -> None:
    assert "phq9_9" not in keys({"date_of_birth": "1985-04-23", "phq9_9": 0})
    skipped = [f for f in flags.clinician_flags(CATALOGUE, {"date_of_birth": "1985-04-23", "phq9_9": SKIPPED}, TODAY) if f.key == "phq9_9"]
    assert skipped and skipped[0].level == "caution"
