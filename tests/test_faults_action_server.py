"""Action server down: every turn still gets a reply, and the conversation continues once it is back.

Before bot/failed_turn_policy.py, Rasa 3.6 answered a turn whose custom action
failed with nothing at all, and "start the questionnaire" ran every form in a
row (each failing) before saying "I didn't quite follow".
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.stack import Stack
from tests.conftest import Assistant, make_settings, new_sender, texts
from tests.scaled_services import restart_role

TRY_AGAIN = "Please try again in a moment"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # A short wait for the action server, so the hung-server test takes seconds (the default is 10 s).
    settings = make_settings(tmp_path, ACTION_TIMEOUT_SECONDS="3")
    stack = Stack(settings, name="test-faults-actions", alert_worker=False, console=False)
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


def calls_waiting_on(port: int) -> int:
    """Established TCP connections to `port` on this machine (Linux /proc): calls the stopped server accepted."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as handle:
            for line in list(handle)[1:]:
                local, state = line.split()[1], line.split()[3]
                count += local.endswith(f":{port:04X}") and state == "01"
    return count


def test_a_hung_action_server_does_not_hold_the_conversation_or_a_crisis_message(stack: Stack) -> None:
    """Rasa's own wait is five minutes: the visitor saw nothing, and a crisis message queued behind it."""
    assistant = Assistant(stack)
    sender = new_sender()
    assert "Do you agree" in texts(assistant.send("start the questionnaire", sender))
    hung = stack.processes["actions"].pid
    os.killpg(hung, signal.SIGSTOP)  # connections are accepted, nothing is answered
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(assistant.send, "I agree", sender)
            deadline = time.monotonic() + 20
            while not calls_waiting_on(stack.settings.action_server_port) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert calls_waiting_on(stack.settings.action_server_port), "the first turn reached the action server"
            crisis = assistant.send("i want to kill myself", sender)
            assert_try_again(first.result())
        assert "988" in texts(crisis)
        assert assistant.slot(sender, "crisis_detected") is True
    finally:
        os.killpg(hung, signal.SIGCONT)
