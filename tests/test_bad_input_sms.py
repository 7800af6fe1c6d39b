"""Bad input to the SMS webhook of a running assistant: a 4xx or a reply by SMS, never a 500 or silence."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.channels.incoming import DEFAULT_MAX_MESSAGE_CHARS
from tests.conftest import Assistant
from tests.fake_twilio import AUTH_TOKEN, PUBLIC_URL, WEBHOOK, FakeTwilio, post_sms, sms_assistant

FILLER = "I have a few questions about the treatment and what the first visit is like. "


@pytest.fixture(scope="module")
def sms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, FakeTwilio]]:
    with sms_assistant(tmp_path_factory.mktemp("sms-bad-input"), "sms-bad-input") as running:
        yield running


def new_phone() -> str:
    return "+1555" + str(uuid.uuid4().int)[:7]


def text_in(sms: tuple[Assistant, FakeTwilio], body: str) -> str:
    """What a new phone receives in answer to `body`, all parts joined."""
    assistant, twilio = sms
    phone, before = new_phone(), twilio.count()
    response = post_sms(assistant, phone, body)
    assert response.status_code == 200, response.text
    return "\n".join(twilio.bodies_to(phone, since=before))


@pytest.mark.parametrize(
    "body",
    ["😀👋🏽 hi", "مرحبا، كم تكلفة العلاج؟", "你好，多少钱？", "Сколько стоит лечение?", "hi\x00\x1b[31m there",
     "'; DROP TABLE sms_contacts; --", "<script>alert(1)</script>", "\x00"],
)  # fmt: skip
def test_odd_texts_get_an_sms_reply(sms: tuple[Assistant, FakeTwilio], body: str) -> None:
    assert text_in(sms, body).strip()


def test_an_over_long_text_gets_the_too_long_reply_and_a_crisis_in_it_the_crisis_reply(sms: tuple[Assistant, FakeTwilio]) -> None:
    # Twilio delivers at most 1,600 characters; a lower limit or a forged-but-signed request can still exceed it.
    long_text = FILLER * (DEFAULT_MAX_MESSAGE_CHARS // len(FILLER) + 2)
    assert "too long for me" in text_in(sms, long_text)
    crisis = text_in(sms, long_text + " I want to kill myself")
    assert "988" in crisis and "741741" in crisis and "only read part of it" in crisis


def signed_post(assistant: Assistant, params: dict[str, str], **kwargs: object) -> requests.Response:
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + WEBHOOK, params)
    return requests.post(assistant.url + WEBHOOK, headers={"X-Twilio-Signature": signature}, timeout=30, **kwargs)  # type: ignore[arg-type]


def test_malformed_webhook_requests_get_a_4xx(sms: tuple[Assistant, FakeTwilio]) -> None:
    assistant, _ = sms
    url = assistant.url + WEBHOOK
    assert requests.post(url, data="{not a form", timeout=30).status_code == 403, "unsigned"
    assert requests.post(url, json={"From": "+15550001111", "Body": "hi"}, timeout=30).status_code == 403
    assert signed_post(assistant, {}, json={"From": "+15550001111", "Body": "hi"}).status_code == 400, "JSON is not Twilio's form"
    assert signed_post(assistant, {"Body": "hi"}, data={"Body": "hi"}).status_code == 400, "no From"
    bad_utf8 = "From=%2B15550001111&Body=%FF%FE"
    assert requests.post(url, data=bad_utf8, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30).status_code == 403
    too_big = {"From": "+15550001111", "Body": "a" * (assistant.stack.settings.max_request_bytes + 1)}
    assert signed_post(assistant, too_big, data=too_big).status_code == 413
    assert requests.get(assistant.url + "/webhooks/twilio/", timeout=30).json()["configured"] is True, "still up"


def test_a_signed_text_with_a_broken_encoding_is_still_answered(sms: tuple[Assistant, FakeTwilio]) -> None:
    assistant, twilio = sms
    phone, before = new_phone(), twilio.count()
    params = {"From": phone, "Body": "hi \ufffd\ufffd"}  # what the webhook decodes %FF%FE to
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + WEBHOOK, params)
    body = f"From={requests.utils.quote(phone)}&Body=hi%20%FF%FE"
    response = requests.post(
        assistant.url + WEBHOOK,
        data=body,
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert response.status_code == 200 and twilio.bodies_to(phone, since=before)
