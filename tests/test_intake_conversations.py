"""The pre-consultation questionnaire over REST, as a prospective patient meets it, down to the stored record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from bot import crypto, language, storage
from bot.intake import answers
from bot.intake.questions import catalogue
from tests.conftest import Assistant, new_sender, texts

CATALOGUE = catalogue()
NLP = language.load()
CRISIS_LINES = ("988", "741741", "911")

# One typed answer per question, in the forms people use: names in lower case, dates in words,
# phone numbers with brackets, brand names of medicines, scale answers as labels or numbers.
TYPED: dict[str, str] = {
    "intake_consent": "I agree",
    "full_name": "jane doe",
    "date_of_birth": "April 23rd, 1985",
    "phone": "(555) 123-4567",
    "email": "Jane.Doe@Example.com",
    "us_state": "ohio",
    "contact_method": "Text message",
    "contact_time": "evenings",
    "emergency_contact": "my husband Mark 555 222 3333",
    "diagnoses": "major depression and anxiety",
    "symptom_duration": "about 10 years",
    "has_anxiety": "yes",
    "has_ptsd": "not sure",
    "has_chronic_pain": "no",
    "antidepressants_tried": "Zoloft, Lexapro, Wellbutrin and Effexor",
    "therapy_history": "Yes, in the past",
    "ect_tms": "Neither",
    "prior_ketamine_use": "no",
    "current_medications": "Lamictal 200mg, klonopin 0.5 mg as needed, adderall",
    "weight": "150 lb",
    "allergies": "penicillin",
    **{slot: "no" for slot in CATALOGUE.screening if slot != "prior_ketamine_use"},
    "history_high_bp": "not sure",
    "pregnant_or_possibly_pregnant": "yes",
    **dict(
        zip(
            [f"phq9_{n}" for n in range(1, 10)],
            ["2", "More than half the days", "1", "Nearly every day", "1", "2", "Several days", "0", "Not at all"],
            strict=True,
        )
    ),  # noqa: E501
    **dict(zip([f"gad7_{n}" for n in range(1, 8)], ["1", "2", "2", "Several days", "0", "1", "1"], strict=True)),
    "treatment_preference": "IV infusion",
    "payment_preference": "Self-pay",
}


def stored(slot: str, typed: str | None = None) -> Any:
    """The value the validators store for a typed answer (for filling a conversation's earlier answers)."""
    text = typed or TYPED[slot]
    found = answers.read(CATALOGUE.question(slot), text, NLP(text))
    assert found is not None, f"{slot}: {text!r}"
    return found.value


def question_text(slot: str) -> str:
    return CATALOGUE.question(slot).ask.splitlines()[-1]


@dataclass
class Patient:
    assistant: Assistant
    sender: str = field(default_factory=new_sender)
    said: list[str] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)

    def say(self, text: str) -> str:
        reply = texts(self.assistant.send(text, self.sender))
        self.said.append(text)
        self.heard.append(reply)
        return reply

    def slot(self, name: str) -> Any:
        return self.assistant.slot(self.sender, name)

    def tracker(self) -> dict[str, Any]:
        return self.assistant.tracker(self.sender)

    def open_form(self) -> str | None:
        return (self.tracker().get("active_loop") or {}).get("name")

    def resume_at(self, slot: str) -> str:
        """Come back to a saved questionnaire whose answers before `slot` are given; returns what the assistant asks."""
        earlier = CATALOGUE.answer_slots[: CATALOGUE.answer_slots.index(slot)] if slot in CATALOGUE.answer_slots else CATALOGUE.answer_slots
        events = [{"event": "slot", "name": s, "value": stored(s)} for s in earlier]
        events += [
            {"event": "slot", "name": "intake_consent", "value": True},
            {"event": "slot", "name": "intake_status", "value": "in_progress"},
        ]
        # An earlier visit; it starts the conversation's session, so the answers below belong to it.
        self.say("hello")
        response = requests.post(
            f"{self.assistant.url}/conversations/{self.sender}/tracker/events",
            params={"token": self.assistant.stack.settings.rasa_token},
            json=events,
            timeout=30,
        )
        response.raise_for_status()
        return self.say("continue the questionnaire")


def eventually(read: Callable[[], list[dict[str, Any]]], wanted: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """What `read` returns once `wanted` holds: the action server writes intakes in the background."""
    deadline = time.monotonic() + 10
    rows = read()
    while not wanted(rows) and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = read()
    return rows


def intake_rows(assistant: Assistant, sender: str) -> list[dict[str, Any]]:
    with storage.engine(assistant.stack.settings.database_url).connect() as connection:
        query = sa.select(storage.intakes).where(storage.intakes.c.sender_id == sender).order_by(storage.intakes.c.id)
        return [dict(row) for row in connection.execute(query).mappings()]


def alert_rows(assistant: Assistant, sender: str) -> list[dict[str, Any]]:
    with storage.engine(assistant.stack.settings.database_url).connect() as connection:
        query = sa.select(storage.crisis_alerts).where(storage.crisis_alerts.c.sender_id == sender)
        return [dict(row) for row in connection.execute(query).mappings()]


def assert_crisis_reply(text: str) -> None:
    for line in CRISIS_LINES:
        assert line in text, f"no {line} in {text!r}"
    assert "safe right now" in text


def test_the_whole_intake_from_greeting_to_the_stored_record(assistant: Assistant) -> None:
    patient = Patient(assistant)
    assert "questionnaire" in patient.say("hi")
    assert "not a diagnosis" in patient.say("start the questionnaire")
    for slot in ["intake_consent", *CATALOGUE.answer_slots]:
        patient.say(TYPED[slot])
    review = patient.heard[-1]
    assert "Please check it" in review
    for shown in ("Jane Doe", "23 April 1985", "(555) 123-4567", "Ohio", "lamotrigine 200 mg", "Pregnant or possibly pregnant".lower()):
        assert shown in review
    done = patient.say("Yes, send it")
    assert "sent to the clinic team" in done
    turns = len(patient.said)
    assert turns == 2 + 1 + len(CATALOGUE.answer_slots) + 1  # hi, start, consent, one per question, confirm
    everything = "\n".join(patient.heard).lower()
    assert "eligib" not in everything and "score" not in everything, "the person is never told a result"

    [row] = intake_rows(assistant, patient.sender)
    assert row["status"] == "submitted" and row["channel"] == "rest"
    stored_answers = crypto.decrypt(row["answers"])
    assert stored_answers["full_name"] == "Jane Doe"
    assert stored_answers["date_of_birth"] == "1985-04-23"
    assert stored_answers["phone"] == "+15551234567"
    assert stored_answers["email"] == "jane.doe@example.com"
    assert stored_answers["emergency_contact"] == {"name": "husband Mark", "phone": "+15552223333"}
    assert [m["generic"] for m in stored_answers["current_medications"]["medications"]] == [
        "lamotrigine",
        "clonazepam",
        "amphetamine/dextroamphetamine",
    ]
    assert (row["phq9_total"], row["phq9_band"]) == (12, "Moderate")
    assert (row["gad7_total"], row["gad7_band"]) == (8, "Mild")
    assert row["antidepressant_trials"] == 4  # sertraline, escitalopram, bupropion, venlafaxine
    flags = {f["key"]: f for f in crypto.decrypt(row["flags"])}
    assert {"benzodiazepine", "lamotrigine", "psychostimulant", "pregnant_or_possibly_pregnant", "history_high_bp"} <= set(flags)
    assert "phq9_9" not in flags and "under_18" not in flags
    print(f"\nA full intake took {turns} turns from greeting to submission.")


def test_no_health_question_is_asked_before_consent_and_declining_keeps_nothing(assistant: Assistant) -> None:
    patient = Patient(assistant)
    consent = patient.say("I'd like to get started")
    assert "automated assistant" in consent and "not encrypted" in consent and "Do you agree" in consent
    declined = patient.say("Not now")
    assert "haven't asked or saved anything" in declined
    assert patient.slot("intake_consent") is None and patient.slot("full_name") is None
    assert patient.open_form() is None
    assert intake_rows(assistant, patient.sender) == []
    assert "Do you agree" in patient.say("start the questionnaire"), "consent is asked again, not assumed"


@pytest.mark.parametrize(
    ("slot", "bad", "hint"),
    [
        ("full_name", "555 1234", "full name"),
        ("date_of_birth", "April 1985", "day, month and year"),
        ("date_of_birth", "12/12/2090", "day, month and year"),
        ("phone", "555 12", "area code"),
        ("email", "jane at gmail", "name@example.com"),
        ("us_state", "Narnia", "outside the US"),
        ("contact_method", "5", "Phone call, Text message, E-mail"),
        ("emergency_contact", "my sister Anna", "name and phone number"),
        ("has_anxiety", "occasionally", "yes, no or not sure"),
        ("weight", "30", "150 lb or 68 kg"),
        ("phq9_1", "3 days a week", "reply 0, 1, 2 or 3"),
    ],
)
def test_each_validator_re_asks_kindly_and_specifically(assistant: Assistant, slot: str, bad: str, hint: str) -> None:
    patient = Patient(assistant)
    assert question_text(slot) in patient.resume_at(slot)
    reply = patient.say(bad)
    assert hint in reply and question_text(slot) in reply
    assert patient.slot(slot) is None
    patient.say(TYPED[slot])
    assert patient.slot(slot) == stored(slot)


def test_after_three_tries_the_person_can_skip_or_ask_for_a_call(assistant: Assistant) -> None:
    patient = Patient(assistant)
    patient.resume_at("phone")
    assert "skip" not in patient.say("555 12").lower()
    patient.say("555 34")
    third = patient.say("12345")
    assert "skip it" in third and "call you" in third
    called = patient.say("call")
    assert "contact you" in called and question_text("phone") in called, "asking for a call keeps the questionnaire going"
    assert patient.slot("callback_requested") is True
    moved_on = patient.say("skip")
    assert question_text("email") in moved_on and patient.slot("phone") == answers.SKIPPED


def test_an_faq_and_a_why_mid_form_are_answered_and_the_question_asked_again(assistant: Assistant) -> None:
    patient = Patient(assistant)
    patient.resume_at("phone")
    faq = patient.say("how much does an infusion cost?")
    assert "$450 per infusion" in faq and question_text("phone") in faq
    assert patient.slot("phone") is None
    why = patient.say("why do you need this?")
    assert why.startswith("Why I ask:") and question_text("phone") in why
    patient.say("555-123-4567")
    assert patient.slot("phone") == "+15551234567"


def test_what_is_the_phq9_mid_questionnaire(assistant: Assistant) -> None:
    patient = Patient(assistant)
    assert question_text("phq9_1") in patient.resume_at("phq9_1")
    explained = patient.say("what's PHQ-9?")
    assert "standard 9-question checklist" in explained and "not a diagnosis" in explained
    assert question_text("phq9_1") in explained


def test_corrections_mid_form_and_on_the_review_screen(assistant: Assistant) -> None:
    patient = Patient(assistant)
    patient.resume_at("diagnoses")
    updated = patient.say("actually my phone is 555 987 6543")
    assert "(555) 987-6543" in updated and question_text("diagnoses") in updated
    assert patient.slot("phone") == "+15559876543" and patient.slot("diagnoses") is None

    review = Patient(assistant)
    assert "Please check it" in review.resume_at("intake_confirmed")
    assert question_text("date_of_birth") in review.say("change my date of birth")
    assert "Is everything else correct" in review.say("3/4/1990")
    assert review.slot("date_of_birth") == "1990-03-04"
    assert "(555) 333-4444" in review.say("phone 555 333 4444")
    assert "23 April 1985" not in review.say("show my answers")
    assert "sent to the clinic team" in review.say("yes")
    [row] = intake_rows(assistant, review.sender)
    assert crypto.decrypt(row["answers"])["date_of_birth"] == "1990-03-04"


def test_pause_and_resume_at_the_next_unanswered_question(assistant: Assistant) -> None:
    patient = Patient(assistant)
    patient.resume_at("has_ptsd")
    patient.say("yes")  # has_ptsd
    paused = patient.say("stop for now")
    assert "paused" in paused and question_text("has_chronic_pain") not in paused
    assert patient.open_form() is None
    assert "Welcome back" in patient.say("hi")
    assert question_text("has_chronic_pain") in patient.say("continue")
    assert patient.slot("has_ptsd") == "yes", "nothing answered before the pause is lost"
    [row] = eventually(lambda: intake_rows(assistant, patient.sender), lambda rows: bool(rows))
    assert row["status"] == "started" and crypto.decrypt(row["answers"])["has_ptsd"] == "yes"


def test_phq9_item9_above_not_at_all_gets_the_crisis_reply_and_flags_the_intake(assistant: Assistant) -> None:
    patient = Patient(assistant)
    assert question_text("phq9_9") in patient.resume_at("phq9_9")
    reply = patient.say("Several days")
    assert_crisis_reply(reply)
    assert question_text("gad7_1") not in reply
    assert patient.slot("crisis_detected") is True and patient.slot("phq9_9") == 1
    assert patient.open_form() is None
    safe = patient.say("I'm safe")
    assert "still here" in safe and question_text("gad7_1") not in safe, "the questionnaire does not silently resume"
    [row] = eventually(lambda: intake_rows(assistant, patient.sender), lambda rows: bool(rows))
    flags = crypto.decrypt(row["flags"])
    assert flags[0]["key"] == "phq9_9" and flags[0]["level"] == "urgent"
    alerts = eventually(lambda: alert_rows(assistant, patient.sender), lambda rows: bool(rows))
    assert [a["detector"] for a in alerts] == ["phq9_item9"]
    assert question_text("gad7_1") in patient.say("continue the questionnaire"), "the person can choose to carry on"


def test_a_crisis_inside_a_free_text_answer_mid_questionnaire(assistant: Assistant) -> None:
    patient = Patient(assistant)
    assert question_text("diagnoses") in patient.resume_at("diagnoses")
    reply = patient.say("depression, and honestly I want to kill myself")
    assert_crisis_reply(reply)
    assert question_text("diagnoses") not in reply and question_text("symptom_duration") not in reply
    assert patient.slot("diagnoses") is None, "a crisis is never stored as an answer"
    assert patient.slot("crisis_detected") is True
    assert patient.open_form() is None
    assert "still here" in patient.say("yes")
    assert question_text("diagnoses") in patient.say("continue the questionnaire")


def test_not_safe_in_the_middle_gets_the_urgent_reply_and_no_next_question(assistant: Assistant) -> None:
    patient = Patient(assistant)
    patient.resume_at("phq9_4")
    reply = patient.say("I'm not safe")
    assert "911" in reply and question_text("phq9_4") not in reply
    assert patient.open_form() is None


def test_numbered_replies_as_sent_by_sms(assistant: Assistant) -> None:
    patient = Patient(assistant)
    patient.resume_at("contact_method")
    patient.say("3")
    patient.say("4")
    assert (patient.slot("contact_method"), patient.slot("contact_time")) == ("E-mail", "Any time")
    questionnaire = Patient(assistant)
    questionnaire.resume_at("phq9_1")
    for digit in ["0", "1", "2", "3"]:
        questionnaire.say(digit)
    assert [questionnaire.slot(f"phq9_{n}") for n in range(1, 5)] == [0, 1, 2, 3]
