"""The questionnaire by SMS: signed Twilio webhook in, the local fake Twilio API out, numbered replies.

What a phone receives is checked, not what REST returns: the `channel: twilio`
variants (no buttons, "Reply 1 for ..."), text sizes, and that a numbered
reply is read as the option it names.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bot.channels.signing import load_secret, sms_sender_id
from bot.knowledge import SMS_LIMIT
from tests.conftest import Assistant
from tests.fake_twilio import SECRET, FakeTwilio, post_sms, sms_assistant
from tests.test_intake_conversations import CATALOGUE, stored


@pytest.fixture(scope="module")
def sms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, FakeTwilio]]:
    with sms_assistant(tmp_path_factory.mktemp("intake-sms"), "intake-sms") as running:
        yield running


class Phone:
    """One patient's phone texting the clinic."""

    def __init__(self, assistant: Assistant, twilio: FakeTwilio) -> None:
        self.number = f"+1555{random.randrange(10**7):07d}"
        self.assistant = assistant
        self.twilio = twilio

    @property
    def sender_id(self) -> str:
        return sms_sender_id(load_secret(SECRET), self.number)

    def text(self, body: str) -> list[str]:
        before = self.twilio.count()
        response = post_sms(self.assistant, self.number, body)
        assert response.status_code == 200, response.text
        return [b for b in self.twilio.bodies_to(self.number, since=before) if "not encrypted, so please" not in b]

    def slot(self, name: str) -> Any:
        return self.assistant.slot(self.sender_id, name)

    def resume_at(self, slot: str) -> list[str]:
        """A returning patient whose answers before `slot` are saved texts "continue"."""
        self.text("hello")
        earlier = CATALOGUE.answer_slots[: CATALOGUE.answer_slots.index(slot)] if slot in CATALOGUE.answer_slots else CATALOGUE.answer_slots
        events = [{"event": "slot", "name": s, "value": stored(s)} for s in earlier]
        events += [
            {"event": "slot", "name": "intake_consent", "value": True},
            {"event": "slot", "name": "intake_status", "value": "in_progress"},
        ]
        url = f"{self.assistant.url}/conversations/{self.sender_id}/tracker/events"
        requests.post(url, params={"token": self.assistant.stack.settings.rasa_token}, json=events, timeout=30).raise_for_status()
        return self.text("continue the questionnaire")


@pytest.fixture
def phone(sms: tuple[Assistant, FakeTwilio]) -> Phone:
    return Phone(*sms)


def test_consent_by_sms_is_one_plain_text_with_a_word_to_reply(phone: Phone) -> None:
    [consent] = phone.text("start the questionnaire")
    assert "not encrypted" in consent and "Reply YES to agree or NO" in consent
    assert len(consent) <= SMS_LIMIT
    first = phone.text("YES")
    assert "What is your full name?" in first[-1]


def test_multiple_choice_by_sms_offers_numbers_and_reads_the_numbered_reply(phone: Phone) -> None:
    [question] = phone.resume_at("contact_method")
    assert question.endswith("Reply 1 for Phone call; 2 for Text message; 3 for E-mail.")
    [time_question] = phone.text("2")
    assert phone.slot("contact_method") == "Text message"
    assert "Reply 1 for Morning; 2 for Afternoon; 3 for Evening; 4 for Any time." in time_question
    phone.text("4")
    assert phone.slot("contact_time") == "Any time"


def test_phq9_by_sms_is_answered_with_its_scores(phone: Phone) -> None:
    first = phone.resume_at("phq9_1")
    assert "Little interest or pleasure in doing things" in first[-1]
    assert "Reply 0 for Not at all; 1 for Several days; 2 for More than half the days; 3 for Nearly every day." in first[-1]
    for score in ["2", "3", "0"]:
        phone.text(score)
    assert [phone.slot(f"phq9_{n}") for n in (1, 2, 3)] == [2, 3, 0]


def test_yes_no_questions_by_sms(phone: Phone) -> None:
    [question] = phone.resume_at("history_seizures")
    assert question.endswith("Reply YES, NO or NOT SURE.")
    phone.text("NOT SURE")
    assert phone.slot("history_seizures") == "not sure"


def test_phq9_item9_by_sms_gets_the_crisis_text_first(phone: Phone) -> None:
    phone.resume_at("phq9_9")
    replies = phone.text("1")
    assert "988" in replies[0] and "741741" in replies[0]
    assert phone.slot("crisis_detected") is True


def test_the_review_by_sms_fits_in_texts_and_a_yes_sends_it(phone: Phone) -> None:
    review = phone.resume_at("intake_confirmed")
    assert len(review) >= 5, "one text per section, then the question"
    assert all(len(body) <= SMS_LIMIT for body in review)
    assert not any("for the rest" in body for body in review), "nothing was shortened"
    assert "Reply YES to send them" in review[-1]
    assert "sent to the clinic team" in phone.text("YES")[0]
    assert phone.slot("intake_status") == "submitted"
