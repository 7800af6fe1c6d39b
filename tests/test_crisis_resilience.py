"""The crisis reply needs neither the action server nor the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.stack import Stack
from tests.alert_spool import take_spooled_alerts
from tests.conftest import Assistant, make_settings, new_sender, texts
from tests.test_crisis_conversations import assert_crisis_reply


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(make_settings(tmp_path), name="test-resilience", alert_worker=False, console=False)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_crisis_reply_in_a_fresh_conversation_with_the_action_server_stopped(stack: Stack) -> None:
    stack.stop_role("actions")
    assistant = Assistant(stack)
    assert_crisis_reply(assistant.send("i want to kill myself", new_sender()))


def test_crisis_mid_questionnaire_with_the_action_server_stopped(stack: Stack) -> None:
    assistant = Assistant(stack)
    sender = new_sender()
    assistant.send("I'd like to start the questionnaire", sender)
    assert assistant.tracker(sender)["active_loop"].get("name"), "the questionnaire should be running"
    stack.stop_role("actions")
    assert_crisis_reply(assistant.send("honestly i just want to die", sender))
    tracker = assistant.tracker(sender)
    assert not tracker["active_loop"].get("name"), "the questionnaire stops, it does not silently resume"
    assert tracker["slots"]["crisis_detected"] is True


def test_crisis_reply_when_the_database_is_gone(tmp_path: Path) -> None:
    database = tmp_path / "assistant.db"
    settings = make_settings(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    stack = Stack(settings, name="test-nodb", alert_worker=False, console=False)
    stack.start()
    senders = new_sender(), new_sender()
    try:
        database.unlink()
        database.mkdir()  # the file is now a directory: every query fails
        assistant = Assistant(stack)
        assert_crisis_reply(assistant.send("i'm going to end my life tonight", senders[0]))
        assert "988" in texts(assistant.send("kms", senders[1]))
    finally:
        stack.stop()
        take_spooled_alerts(*senders)  # the alerts this test caused are never sent
