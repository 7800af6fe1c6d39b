"""The form validators on their own, with trackers shaped like the ones Rasa sends (Rasa's demos test actions this way)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.importers.importer import TrainingDataImporter
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import intake_forms
from actions.intake_forms import CATALOGUE, IntakeFormValidation
from bot import storage
from bot.settings import ROOT

CRISIS_TEXT = "I want to kill myself"


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    importer = TrainingDataImporter.load_from_config(str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    return importer.get_domain().as_dict()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'intake.db'}"
    storage.create_tables(url)
    monkeypatch.setattr(intake_forms, "database_url", lambda: url)
    return url


def validator(form: str) -> IntakeFormValidation:
    return next(cls() for cls in IntakeFormValidation.__subclasses__() if cls().name() == f"validate_{form}")


def tracker(form: str, slot: str, text: str, intent: str = "inform", confidence: float = 0.9, **slots: Any) -> Tracker:
    """The temporary tracker Rasa sends when `text` was extracted for the open question `slot`."""
    return Tracker.from_dict(
        {
            "sender_id": "test-validators",
            "slots": {"requested_slot": slot, **slots, slot: text},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
            "events": [
                {"event": "user", "text": text},
                {"event": "slot", "name": "requested_slot", "value": slot},
                {"event": "action", "name": form},
                {"event": "slot", "name": slot, "value": text},
            ],
            "active_loop": {"name": form},
            "latest_action_name": "action_listen",
        }
    )


async def run(form: str, slot: str, text: str, domain: dict, **kwargs: Any) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await validator(form).run(dispatcher, tracker(form, slot, text, **kwargs), domain)
    intake_forms.WRITER.submit(lambda: None).result()  # the intake writer has finished what this turn queued
    return events, dispatcher.messages


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


QUESTIONS = [(CATALOGUE.section_of(slot).form, slot) for slot in CATALOGUE.by_slot]


@pytest.mark.parametrize(("form", "slot"), QUESTIONS)
async def test_every_validator_refuses_crisis_text_as_an_answer(form: str, slot: str, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    method = getattr(validator(form), f"validate_{slot}")
    by_intent = await method(CRISIS_TEXT, dispatcher, tracker(form, slot, CRISIS_TEXT, intent="crisis_disclosure"), domain)
    by_rules = await method(CRISIS_TEXT, dispatcher, tracker(form, slot, CRISIS_TEXT, intent="inform"), domain)
    assert by_intent == {slot: None} and by_rules == {slot: None}


@pytest.mark.parametrize(("form", "slot"), QUESTIONS)
async def test_crisis_text_the_classifier_missed_is_handed_to_the_crisis_path(form: str, slot: str, domain: dict) -> None:
    events, messages = await run(form, slot, "honestly i want to end my life", domain, intent="inform")
    assert slot_events(events) == {slot: None}
    relabelled = [e for e in events if e["event"] == "user"]
    assert relabelled and relabelled[0]["parse_data"]["intent"]["name"] == "crisis_disclosure"
    assert events[-1] == ActionExecutionRejected(form)
    assert messages == []


async def test_a_valid_answer_is_stored_normalised_and_read_back(domain: dict) -> None:
    events, messages = await run("contact_form", "date_of_birth", "4/23/85", domain)
    assert slot_events(events)["date_of_birth"] == "1985-04-23"
    assert slot_events(events)["intake_retries"] is None
    assert messages[0]["response"] == "utter_intake_noted" and messages[0]["noted"] == "23 April 1985"


async def test_a_valid_answer_wins_whatever_the_classifier_thought(domain: dict) -> None:
    events, _ = await run("contact_form", "contact_time", "Morning", domain, intent="greet", confidence=0.64)
    assert slot_events(events)["contact_time"] == "Morning"


async def test_a_bad_answer_gets_a_specific_re_ask_and_the_third_offers_skip_or_a_call(domain: dict) -> None:
    events, messages = await run("contact_form", "phone", "555 12", domain)
    assert slot_events(events) == {"phone": None, "intake_retries": {"slot": "phone", "count": 1}}
    assert "area code" in messages[0]["text"] and len(messages) == 1
    events, messages = await run("contact_form", "phone", "555 12", domain, intake_retries={"slot": "phone", "count": 2})
    assert slot_events(events)["intake_retries"] == {"slot": "phone", "count": 3}
    assert [m.get("response") for m in messages][-1] == "utter_intake_stuck"


async def test_skip_is_always_possible_and_recorded(domain: dict) -> None:
    events, _ = await run("medical_form", "history_glaucoma", "skip", domain)
    assert slot_events(events)["history_glaucoma"] == "skipped"


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("phone", "how much does an infusion cost?", "faq"),
        ("phone", "why do you need my number?", "intake_why"),
        ("diagnoses", "why do you ask?", "intake_why"),
        ("diagnoses", "stop for now", "intake_pause"),
        ("email", "can someone call me", "request_human"),
        ("us_state", "/request_human", "request_human"),
    ],
)
async def test_off_topic_turns_make_the_form_step_aside_for_the_rules(slot: str, text: str, intent: str, domain: dict) -> None:
    form = CATALOGUE.section_of(slot).form
    events, messages = await run(form, slot, text, domain, intent=intent)
    assert events == [SlotSet(slot, None), ActionExecutionRejected(form)]
    assert messages == []


async def test_a_free_text_answer_is_kept_even_if_it_sounds_like_a_topic(domain: dict) -> None:
    events, _ = await run("reason_form", "diagnoses", "depression and anxiety", domain, intent="faq", confidence=0.5)
    assert slot_events(events)["diagnoses"] == "depression and anxiety"


async def test_not_safe_ends_the_questionnaire_instead_of_asking_the_next_question(domain: dict) -> None:
    events, _ = await run("phq9_form", "phq9_4", "I'm not safe", domain, intent="crisis_not_safe", confidence=0.98)
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
    assert events[-1] == ActionExecutionRejected("phq9_form")


async def test_declining_consent_is_left_to_the_rule(domain: dict) -> None:
    events, _ = await run("consent_form", "intake_consent", "Not now", domain, intent="deny")
    assert events == [SlotSet("intake_consent", None), ActionExecutionRejected("consent_form")]


async def test_consent_starts_the_record(domain: dict, database: str) -> None:
    events, _ = await run("consent_form", "intake_consent", "I agree", domain, intent="affirm")
    assert slot_events(events)["intake_status"] == "in_progress"
    with storage.engine(database).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(storage.intakes)).scalar() == 1


@pytest.mark.parametrize("text", ["Several days", "1", "More than half the days", "Nearly every day"])
async def test_phq9_item9_above_zero_alerts_flags_and_stops_the_form(text: str, domain: dict, database: str) -> None:
    events, _ = await run("phq9_form", "phq9_9", text, domain)
    slots = slot_events(events)
    assert slots["phq9_9"] > 0 and slots["phq9_item9_alert"] is True and slots["crisis_detected"] is True
    assert ActiveLoop(None) in events
    with storage.engine(database).connect() as connection:
        alert = connection.execute(sa.select(storage.crisis_alerts)).mappings().one()
        intake = connection.execute(sa.select(storage.intakes)).mappings().one()
    assert alert["detector"] == "phq9_item9" and intake["status"] == "started"


async def test_phq9_item9_not_at_all_continues(domain: dict, database: str) -> None:
    events, _ = await run("phq9_form", "phq9_9", "Not at all", domain)
    assert slot_events(events)["phq9_item9_alert"] is False
    assert ActiveLoop(None) not in events
    with storage.engine(database).connect() as connection:
        assert connection.execute(sa.select(storage.crisis_alerts)).first() is None


async def test_passing_through_an_answered_form_changes_nothing_and_repeats_no_alert(domain: dict) -> None:
    passing = Tracker.from_dict(
        {
            "sender_id": "test-validators",
            "slots": {"requested_slot": None, "phq9_9": 2, "phq9_item9_alert": True},
            "latest_message": {"text": "continue", "intent": {"name": "start_intake", "confidence": 0.9}},
            "events": [{"event": "action", "name": "phq9_form"}, {"event": "slot", "name": "phq9_9", "value": 2}],
            "active_loop": {},
        }
    )
    dispatcher = CollectingDispatcher()
    assert await validator("phq9_form").validate_phq9_9(2, dispatcher, passing, domain) == {"phq9_item9_alert": False}
    assert await validator("contact_form").validate_phone("+15551234567", dispatcher, passing, domain) == {}
    assert dispatcher.messages == []


async def test_a_correction_of_an_earlier_answer_mid_form(domain: dict) -> None:
    events, messages = await run("reason_form", "diagnoses", "actually my phone is 555 222 3333", domain)
    assert slot_events(events) == {"diagnoses": None, "phone": "+15552223333"}
    assert messages[0]["response"] == "utter_intake_updated" and messages[0]["noted"] == "(555) 222-3333"


async def test_questionnaire_answers_are_changed_on_their_own_form_or_the_review(domain: dict) -> None:
    events, messages = await run("medical_form", "history_stroke", "change phq-9 question 3", domain)
    assert slot_events(events) == {"history_stroke": None}
    assert messages[0]["response"] == "utter_intake_change_at_review" and messages[0]["field"] == "PHQ-9 question 3"
    events, _ = await run("phq9_form", "phq9_5", "actually phq-9 question 3 is several days", domain)
    assert slot_events(events)["phq9_3"] == 1


async def test_changing_an_earlier_answer_in_the_same_form_asks_it_again(domain: dict) -> None:
    events, _ = await run("contact_form", "email", "change my date of birth", domain)
    assert slot_events(events) == {"email": None, "date_of_birth": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes, send it", {"intake_confirmed": True}),
        ("phone 555 333 4444", {"intake_confirmed": None, "phone": "+15553334444"}),
        ("change date of birth", {"intake_confirmed": None, "date_of_birth": None}),
        ("PHQ-9 question 3", {"intake_confirmed": None, "phq9_3": None}),
        ("Show my answers", {"intake_confirmed": None}),
    ],
)
async def test_the_review_screen_sends_or_changes_answers(text: str, expected: dict, domain: dict) -> None:
    events, _ = await run("review_form", "intake_confirmed", text, domain, intent="inform", phone="+15551234567")
    slots = slot_events(events)
    assert {key: slots.get(key) for key in expected} == expected
