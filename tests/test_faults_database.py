"""PostgreSQL unreachable mid-conversation: the turn fails cleanly, nothing is corrupted, it recovers.

The link to the shared PostgreSQL server is cut with a proxy of the test's own
(tests/fault_proxy.py), never by stopping the server. Needs PostgreSQL
(TEST_POSTGRES_URL); fails, never skips, when it is unreachable.

Before bot/outage_tracker_store.py, Rasa's FailSafeTrackerStore answered such
turns from a blank conversation (a questionnaire answer read as a first
message) and kept them in memory only: once the database returned, those
turns were missing from the record although the person had seen them answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.stack import Stack
from tests.alert_spool import take_spooled_alerts
from tests.conftest import Assistant, make_settings, new_sender, texts
from tests.fault_proxy import FaultProxy
from tests.scaled_services import fresh_postgres_database, user_and_bot_turns
from tests.test_crisis_conversations import assert_crisis_reply

TRY_AGAIN = "Please try again in a moment"


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def proxy(database: str) -> Iterator[FaultProxy]:
    url = sa.engine.make_url(database)
    with FaultProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def stack(tmp_path: Path, database: str, proxy: FaultProxy) -> Iterator[Stack]:
    through_proxy = sa.engine.make_url(database).set(host="127.0.0.1", port=proxy.port)
    settings = make_settings(tmp_path, DATABASE_URL=through_proxy.render_as_string(hide_password=False))
    stack = Stack(settings, name="test-faults-db", alert_worker=False, console=False)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def test_turns_fail_cleanly_while_the_database_is_cut_and_the_conversation_recovers(stack: Stack, proxy: FaultProxy, database: str) -> None:
    assistant = Assistant(stack)
    sender = new_sender()
    assert "automated assistant" in texts(assistant.send("hi", sender))
    assert "Do you agree" in texts(assistant.send("start the questionnaire", sender))

    proxy.cut()
    try:
        failed = texts(assistant.send("I agree", sender))
        assert TRY_AGAIN in failed and "988" in failed
        assert "Traceback" not in failed and "Error" not in failed
        assert TRY_AGAIN in texts(assistant.send("how much does an infusion cost", sender)), "no answer from a blank state"
        crisis = assistant.send("i want to kill myself", sender)
        assert_crisis_reply(crisis)
    finally:
        proxy.restore()
    try:
        assert len(take_spooled_alerts(sender)) == 1, "the crisis alert is kept until the database returns"
    finally:
        take_spooled_alerts(sender)

    assert "What is your full name?" in texts(assistant.send("I agree", sender)), "the questionnaire resumes where it was"
    stored = user_and_bot_turns(database, sender)
    assert [user for user, _ in stored] == ["hi", "start the questionnaire", "I agree"], (
        "turns during the outage are not spliced into the record; the others are all there, in order"
    )
    assert all(replies for _, replies in stored), "every stored turn has its reply"
    assert "What is your full name?" in stored[-1][1][-1]
