"""The SMS rules a patient notices: keywords, numbered buttons, message length.

The numbered-button tests drive the real Twilio channel (contact store, Twilio
client, fake Twilio API) with a stand-in for the dialogue, because no response
in the domain sends buttons by SMS today (each has a `channel: twilio` variant).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.sms_text import Keyword, button_choice, fit_to_sms, keyword, plain_text, with_numbered_buttons
from bot.channels.twilio_sms import TwilioSMSInput
from bot.knowledge import SMS_LIMIT
from tests.fake_twilio import FakeTwilio

TOPICS = [
    {"title": "Cost of IV ketamine", "payload": "/choose_topic" + json.dumps({"kb_entry": "cost_iv"})},
    {"title": "Side effects", "payload": "/choose_topic" + json.dumps({"kb_entry": "side_effects"})},
]


@pytest.mark.parametrize(
    ("body", "expected"),
    [("STOP", Keyword.STOP), ("stop.", Keyword.STOP), ("Stop all", Keyword.STOP), ("unsubscribe", Keyword.STOP),
     ("START", Keyword.START), ("help", Keyword.HELP), ("HELP!", Keyword.HELP),
     ("stop it", None), ("help me please", None), ("I want to stop treatment", None)],
)  # fmt: skip
def test_only_a_whole_message_is_a_carrier_keyword(body: str, expected: Keyword | None) -> None:
    assert keyword(body) is expected


def test_buttons_are_numbered_and_a_number_or_title_picks_one() -> None:
    text = with_numbered_buttons("Which topic did you mean?", TOPICS)
    assert text.endswith("Reply with a number:\n1) Cost of IV ketamine\n2) Side effects")
    assert button_choice("2", TOPICS) == TOPICS[1]["payload"]
    assert button_choice(" 1. ", TOPICS) == TOPICS[0]["payload"]
    assert button_choice("side effects", TOPICS) == TOPICS[1]["payload"]
    assert button_choice("3", TOPICS) is None
    assert button_choice("2 please", TOPICS) is None


def test_long_replies_are_split_at_sentences_and_shortened_beyond_three_texts() -> None:
    sentence = "Ketamine is given by a clinician in a monitored room. "
    parts = fit_to_sms(sentence * 8, SMS_LIMIT, 3)
    assert len(parts) == 2 and all(len(p) <= SMS_LIMIT for p in parts)
    assert all(p.endswith("room.") for p in parts)
    long_parts = fit_to_sms(sentence * 40, SMS_LIMIT, 3, " Call (555) 010-0100 for the rest.")
    assert len(long_parts) == 3 and all(len(p) <= SMS_LIMIT for p in long_parts)
    assert long_parts[-1].endswith("... Call (555) 010-0100 for the rest.")


def test_crisis_text_is_split_but_never_shortened() -> None:
    text = "Call or text 988. " * 60
    parts = fit_to_sms(text, SMS_LIMIT, None)
    assert len(parts) > 3 and "".join(parts).count("988") == 60


def test_markdown_and_typographic_characters_become_plain_sms_text() -> None:
    assert plain_text("**Call or text 988** \u2013 it\u2019s free\u2026 [Lifeline](https://988lifeline.org)") == (
        "Call or text 988 - it's free... Lifeline (https://988lifeline.org)"
    )


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[tuple[TwilioSMSInput, FakeTwilio]]:
    with FakeTwilio() as twilio:
        yield TwilioSMSInput(
            account_sid="AC" + "2" * 32,
            auth_token="token",
            twilio_number="+15550100100",
            api_base=twilio.url,
            secret="rules-secret",
            database_url=f"sqlite:///{tmp_path / 'sms.db'}",
        ), twilio


async def test_a_numbered_reply_reaches_the_assistant_as_the_buttons_payload(channel: tuple[TwilioSMSInput, FakeTwilio]) -> None:
    sms, twilio = channel
    received: list[str] = []

    async def dialogue(message: UserMessage) -> None:
        received.append(message.text or "")
        if message.text == "what about ketamine":
            await message.output_channel.send_response(message.sender_id, {"text": "Which topic did you mean?", "buttons": TOPICS})
        else:
            await message.output_channel.send_response(message.sender_id, {"text": "Here is the answer."})

    phone = "+15557654321"
    await sms.handle(phone, "what about ketamine", dialogue)
    offer = twilio.bodies_to(phone)[0]
    assert "1) Cost of IV ketamine" in offer and "2) Side effects" in offer and "/choose_topic" not in offer
    await sms.handle(phone, "2", dialogue)
    assert received[-1] == TOPICS[1]["payload"]
    await sms.handle(phone, "2", dialogue)  # the last reply had no buttons: a number is just text now
    assert received[-1] == "2"
