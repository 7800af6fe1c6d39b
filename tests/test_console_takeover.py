"""Take-over against a running assistant: staff speak, the assistant is silent, crisis still escalates, then hand back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from bot import storage
from bot.console import accounts
from bot.stack import Stack
from tests.conftest import Assistant, new_sender, start_stack, texts
from tests.console_support import PASSWORD, Staff


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("console-takeover"), "console-takeover")
    try:
        yield running
    finally:
        running.stop()


def bot_events(assistant: Assistant, sender: str) -> list[dict]:
    return [event for event in assistant.tracker(sender)["events"] if event["event"] == "bot"]


def wait_for(condition, timeout: float = 15.0) -> bool:  # noqa: ANN001 - any zero-argument callable
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_staff_take_over_silences_the_assistant_and_hand_back_restores_it(stack: Stack) -> None:
    engine = storage.engine(stack.settings.database_url)
    accounts.save_user(engine, "dana@clinic.example", PASSWORD, "staff")
    assistant = Assistant(stack)
    patient = new_sender()
    assert texts(assistant.send("hello", patient)), "the assistant answers before the take-over"

    staff = Staff(stack.console_url)
    staff.login("dana@clinic.example")
    page = staff.submit(f"/conversations/{patient}/takeover").text
    assert "dana@clinic.example has been in this conversation since" in page
    assert "took over; the assistant is silent" in page

    assert assistant.send("how much does an infusion cost?", patient) == [], "the assistant must stay silent"
    page = staff.submit(f"/conversations/{patient}/messages", text="Hi, this is Dana from the clinic. How can I help?").text
    human = [e for e in bot_events(assistant, patient) if (e.get("metadata") or {}).get("console_staff")]
    assert [e["text"] for e in human] == ["Hi, this is Dana from the clinic. How can I help?"]
    assert human[0]["metadata"]["console_staff"] == "dana@clinic.example"
    assert "Staff (dana@clinic.example)" in page and "Hi, this is Dana from the clinic." in page
    assert "how much does an infusion cost?" in page

    # Crisis while a human is in the conversation: staff are alerted and the patient still gets the crisis lines.
    assert assistant.send("I want to kill myself", patient) == []
    with engine.connect() as connection:
        alerts = connection.execute(sa.select(storage.crisis_alerts).where(storage.crisis_alerts.c.sender_id == patient)).all()
    assert len(alerts) == 1, "the alert broker still records a crisis turn while the assistant is paused"

    def crisis_lines_sent() -> bool:
        return any((e.get("metadata") or {}).get("utter_action") == "utter_crisis" for e in bot_events(assistant, patient))

    assert wait_for(crisis_lines_sent), "the console's crisis watcher sends the crisis lines during a take-over"
    assert "988" in bot_events(assistant, patient)[-1]["text"]
    assert "Crisis detected" in staff.get(f"/conversations/{patient}").text

    # "I'm not safe" gets the urgent reply (911, the ER), as it would from the assistant.
    assert assistant.send("I'm not safe right now", patient) == []

    def urgent_reply_sent() -> bool:
        return any((e.get("metadata") or {}).get("utter_action") == "utter_crisis_urgent" for e in bot_events(assistant, patient))

    assert wait_for(urgent_reply_sent), "the watcher answers 'I'm not safe' with the urgent reply during a take-over"
    assert "call **911** now" in bot_events(assistant, patient)[-1]["text"]

    page = staff.submit(f"/conversations/{patient}/handback").text
    assert "The assistant answers this conversation again" in page and "handed back to the assistant" in page
    assert texts(assistant.send("hello", patient)), "the assistant answers again after hand-back"
    actions = [e["action"] for e in staff_audit(engine, "dana@clinic.example")]
    assert {"takeover_start", "takeover_message", "takeover_end"} <= set(actions)
    assert "crisis_lines_sent_during_takeover" in [e["action"] for e in staff_audit(engine, "system")]


def test_writing_without_taking_over_is_refused(stack: Stack) -> None:
    engine = storage.engine(stack.settings.database_url)
    accounts.save_user(engine, "lee@clinic.example", PASSWORD, "staff")
    assistant = Assistant(stack)
    patient = new_sender()
    assistant.send("hello", patient)
    staff = Staff(stack.console_url)
    staff.login("lee@clinic.example")
    page = staff.submit(f"/conversations/{patient}/messages", text="hello from staff").text
    assert "Take over the conversation before writing" in page
    assert not [e for e in bot_events(assistant, patient) if (e.get("metadata") or {}).get("console_staff")]


def staff_audit(engine: sa.engine.Engine, actor: str) -> list[dict]:
    query = sa.select(storage.audit_log).where(storage.audit_log.c.actor == actor).order_by(storage.audit_log.c.id)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def test_a_forgotten_take_over_hands_back_by_itself(stack: Stack) -> None:
    engine = storage.engine(stack.settings.database_url)
    accounts.save_user(engine, "sam@clinic.example", PASSWORD, "staff")
    assistant = Assistant(stack)
    patient = new_sender()
    assistant.send("hello", patient)
    staff = Staff(stack.console_url)
    staff.login("sam@clinic.example")
    staff.submit(f"/conversations/{patient}/takeover")
    assert assistant.send("hello?", patient) == []
    table = storage.conversation_takeovers
    with engine.begin() as connection:  # staff went to lunch half an hour ago
        connection.execute(sa.update(table).where(table.c.sender_id == patient).values(last_staff_at=time.time() - 31 * 60))

    def handed_back() -> bool:
        with engine.connect() as connection:
            return connection.execute(sa.select(table.c.ended_at).where(table.c.sender_id == patient)).scalar() is not None

    assert wait_for(handed_back)
    assert texts(assistant.send("hello", patient)), "the assistant answers again"
    assert "takeover_end_idle" in [e["action"] for e in staff_audit(engine, "system")]


def test_rasa_http_api_needs_the_token(stack: Stack) -> None:
    patient = new_sender()
    Assistant(stack).send("hello", patient)
    for path, method in ((f"/conversations/{patient}/tracker", requests.get), (f"/conversations/{patient}/tracker/events", requests.post)):
        response = method(stack.rasa_url + path, json={"event": "pause"}, timeout=10)
        assert response.status_code == 401, path
    response = Staff(stack.console_url).get("/", allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
