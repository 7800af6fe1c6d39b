"""Action server down: every turn still gets a reply, and the conversation continues once it is back.

Before bot/failed_turn_policy.py, Rasa 3.6 answered a turn whose custom action
failed with nothing at all, and "start the questionnaire" ran every form in a
row (each failing) before saying "I didn't quite follow".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.stack import Stack
from tests.conftest import Assistant, make_settings, new_sender, texts
from tests.scaled_services import restart_role

TRY_AGAIN = "Please try again in a moment"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(make_settings(tmp_path), name="test-faults-actions", alert_worker=False, console=False)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def user_texts(assistant: Assistant, sender: str) -> list[str]:
    return [e["text"] for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


def assert_try_again(replies: list[dict]) -> None:
    text = texts(replies)
    assert TRY_AGAIN in text, f"expected the polite try-again reply, got {text!r}"
    assert "988" in text, "the crisis line stays visible in the failure reply"
    assert len(replies) == 1, f"one reply, nothing else: {text!r}"


def test_questionnaire_turns_get_try_again_and_continue_when_the_action_server_returns(stack: Stack) -> None:
    assistant = Assistant(stack)
    sender = new_sender()
    assert "Do you agree" in texts(assistant.send("start the questionnaire", sender))
    stack.stop_role("actions")

    assert_try_again(assistant.send("I agree", sender))
    tracker = assistant.tracker(sender)
    assert tracker["active_loop"].get("name") == "consent_form", "the questionnaire is still open where it was"
    assert user_texts(assistant, sender)[-1] == "I agree", "what the person typed is in the conversation"

    restart_role(stack, "actions")
    assert "What is your full name?" in texts(assistant.send("I agree", sender)), "the questionnaire goes on"
    assert assistant.slot(sender, "intake_consent") is True


def test_other_turns_needing_the_action_server_get_try_again(stack: Stack) -> None:
    assistant = Assistant(stack)
    sender = new_sender()
    stack.stop_role("actions")
    assert "automated assistant" in texts(assistant.send("hi", sender)), "replies from the domain need no action server"
    assert_try_again(assistant.send("start the questionnaire", sender))
    assert not assistant.tracker(sender)["active_loop"].get("name"), "no questionnaire half-started"
    assert_try_again(assistant.send("ketamine", sender))  # vague: the topic offer is a custom action
    assert "automated assistant" in texts(assistant.send("are you a bot?", sender)), "after a failure the dialogue goes on"

    restart_role(stack, "actions")
    assert "Do you agree" in texts(assistant.send("start the questionnaire", sender))
    assert user_texts(assistant, sender) == ["hi", "start the questionnaire", "ketamine", "are you a bot?", "start the questionnaire"]
