"""SMS against a running assistant: Twilio's webhook requests in, a fake Twilio REST API out.

Requests are signed the way Twilio signs them (its own RequestValidator) for the
public URL a tunnel would give, while they reach the assistant on localhost.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from bot.channels.signing import load_secret, sms_sender_id
from bot.knowledge import SMS_LIMIT, load_clinic
from bot.stack import LOG_DIR
from tests.conftest import TOKEN, Assistant
from tests.fake_twilio import AUTH_TOKEN, PUBLIC_URL, SECRET, WEBHOOK, FakeTwilio, post_sms, sms_assistant

CRISIS = "I want to kill myself"
FAQ = "How much does an IV infusion cost?"


@dataclass
class Phone:
    """One patient's phone, texting the clinic's Twilio number."""

    number: str
    assistant: Assistant
    twilio: FakeTwilio

    def post(
        self, body: str, token: str = AUTH_TOKEN, signed_url: str = PUBLIC_URL + WEBHOOK, sign: bool = True, **form: str
    ) -> requests.Response:
        return post_sms(self.assistant, self.number, body, token=token, signed_url=signed_url, sign=sign, **form)

    def text(self, body: str) -> list[str]:
        """The SMS this phone receives in answer to `body`."""
        before = self.twilio.count()
        response = self.post(body)
        assert response.status_code == 200, response.text
        return self.twilio.bodies_to(self.number, since=before)

    @property
    def sender_id(self) -> str:
        return sms_sender_id(load_secret(SECRET), self.number)

    def user_texts(self) -> list[str]:
        return [e.get("text") for e in self.assistant.tracker(self.sender_id)["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def sms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, FakeTwilio, Path]]:
    tmp = tmp_path_factory.mktemp("sms")
    with sms_assistant(tmp, "sms") as (assistant, twilio):
        yield assistant, twilio, tmp


@pytest.fixture
def phone(sms: tuple[Assistant, FakeTwilio, Path]) -> Phone:
    assistant, twilio, _ = sms
    return Phone(f"+1555{random.randrange(10**7):07d}", assistant, twilio)


def test_unsigned_request_is_refused_and_nothing_is_sent(phone: Phone) -> None:
    before = phone.twilio.count()
    response = phone.post(CRISIS, sign=False)
    assert response.status_code == 403
    assert phone.twilio.count() == before
    assert phone.user_texts() == []


@pytest.mark.parametrize(
    "forgery",
    [
        {"token": "not-the-auth-token"},
        {"signed_url": "http://127.0.0.1" + WEBHOOK},  # signed for another address than the public one
        {"Body": "STOP"},  # a field changed after Twilio signed the request
    ],
    ids=["wrong-auth-token", "wrong-url", "changed-body"],
)
def test_forged_request_gets_403_and_no_reply(phone: Phone, forgery: dict[str, str]) -> None:
    before = phone.twilio.count()
    response = phone.post("hi", **forgery)
    assert response.status_code == 403
    assert phone.twilio.count() == before
    assert phone.user_texts() == []


def test_faq_by_sms_answers_in_sms_sized_texts_and_warns_once_that_sms_is_unencrypted(phone: Phone) -> None:
    clinic = load_clinic()
    first = phone.text(FAQ)
    assert clinic["price_iv_infusion"] in first[0]
    assert all(len(body) <= SMS_LIMIT for body in first)
    assert "not encrypted" in first[-1] and "STOP" in first[-1]
    again = phone.text(FAQ)
    assert clinic["price_iv_infusion"] in again[0]
    assert not any("not encrypted" in body for body in again)


def test_crisis_by_sms_gets_the_resources_in_one_text_first(phone: Phone) -> None:
    replies = phone.text(CRISIS)
    crisis = replies[0]
    assert "988" in crisis and "741741" in crisis and "marque 2" in crisis
    assert len(crisis) <= SMS_LIMIT
    assert not any("988" in body and "741741" in body for body in replies[1:]), "the crisis reply must be one SMS"
    assert phone.assistant.slot(phone.sender_id, "crisis_detected") is True
    safe = phone.text("YES")
    assert safe and "still here" in safe[0]


def test_stop_ends_messages_and_is_recorded_start_resumes(phone: Phone, sms: tuple[Assistant, FakeTwilio, Path]) -> None:
    assert phone.text("hello")
    stopped = phone.text("Stop")
    assert len(stopped) == 1 and "unsubscribed" in stopped[0]
    engine = sa.create_engine(f"sqlite:///{sms[2] / 'assistant.db'}")
    with engine.connect() as connection:
        opted_out_at = connection.execute(
            sa.text("SELECT opted_out_at FROM sms_contacts WHERE sender_id = :id"), {"id": phone.sender_id}
        ).scalar_one()
    engine.dispose()
    assert opted_out_at is not None
    assert phone.text(FAQ) == []
    assert phone.text("STOP") == [], "a second STOP gets no second confirmation"
    resumed = phone.text("START")
    assert len(resumed) == 1 and "subscribed again" in resumed[0]
    assert load_clinic()["price_iv_infusion"] in phone.text(FAQ)[0]


def test_a_crisis_after_stop_still_gets_the_crisis_reply_and_nothing_else(phone: Phone) -> None:
    phone.text("STOP")
    replies = phone.text(CRISIS)
    assert len(replies) == 1 and "988" in replies[0] and "741741" in replies[0]
    assert phone.assistant.slot(phone.sender_id, "crisis_detected") is True


def test_help_gives_the_clinic_name_and_988(phone: Phone) -> None:
    replies = phone.text("HELP")
    assert len(replies) == 1
    assert load_clinic()["clinic_name"] in replies[0] and "988" in replies[0]
    assert len(replies[0]) <= SMS_LIMIT


def test_returning_number_resumes_its_conversation_under_a_pseudonymous_id(phone: Phone) -> None:
    phone.text("hello")
    phone.text(FAQ)
    assert phone.user_texts() == ["hello", FAQ]
    assert phone.sender_id != phone.number and phone.number[1:] not in phone.sender_id
    assert phone.number not in (LOG_DIR / "test-sms-rasa.log").read_text(errors="replace")


def test_media_without_text_gets_a_text_only_note(phone: Phone) -> None:
    replies = phone.text("")
    assert replies and "only read text" in replies[0]


def test_sms_is_refused_clearly_when_twilio_is_not_configured(assistant: Assistant) -> None:
    response = requests.post(assistant.url + WEBHOOK, data={"From": "+15550000000", "Body": "hi"}, timeout=30)
    assert response.status_code == 503
    assert "TWILIO_ACCOUNT_SID" in response.text


def test_a_staff_message_sent_through_rasas_api_reaches_the_phone_unless_it_sent_stop(phone: Phone) -> None:
    phone.text("hello")

    def staff_says(text: str) -> list[str]:
        before = phone.twilio.count()
        response = requests.post(
            f"{phone.assistant.url}/conversations/{phone.sender_id}/tracker/events",
            params={"token": TOKEN, "execute_side_effects": "true", "output_channel": "latest"},
            json=[{"event": "bot", "text": text}],
            timeout=30,
        )
        response.raise_for_status()
        return phone.twilio.bodies_to(phone.number, since=before)

    assert staff_says("This is Dana from the clinic. Can I call you at 3pm?") == ["This is Dana from the clinic. Can I call you at 3pm?"]
    phone.text("STOP")
    assert staff_says("Are you still there?") == []
