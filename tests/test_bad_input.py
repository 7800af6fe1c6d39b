"""Bad input against the running assistant: each gets a clear reply or a 4xx, never a 500, never silence.

REST (bot/channels/rest.py), the web chat's socket.io and HTTP endpoints, a
questionnaire question receiving the same input, and the staff console showing
it afterwards. SMS has its own module (it needs a signed-Twilio assistant).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import requests
import socketio
import sqlalchemy as sa

from bot import storage
from bot.channels.incoming import DEFAULT_MAX_MESSAGE_CHARS
from bot.console import accounts
from tests.conftest import Assistant, new_sender, texts
from tests.console_support import PASSWORD, Staff

LIMIT = DEFAULT_MAX_MESSAGE_CHARS
FILLER = "I have a few questions about the treatment and what the first visit is like. "
CRISIS = "I want to kill myself"
TOO_LONG = "too long for me"
CRISIS_LINES = ("988", "741741")
SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"

# Each message a person might send, whatever the channel; every one must get a reply.
ODD_MESSAGES = {
    "empty": "",
    "whitespace": " \n\t  ",
    "emoji": "😀👋🏽 hi 🙏",
    "arabic": "مرحبا، كم تكلفة العلاج؟",
    "chinese": "你好，氯胺酮治疗多少钱？",
    "cyrillic": "Здравствуйте, сколько стоит лечение?",
    "control": "hi\x00 there\x1b[31m\x07\x7f",
    "nul": "\x00",
    "sql": "'; DROP TABLE events; --",
    "sql_union": "1' OR '1'='1' UNION SELECT * FROM intakes --",
    "html": SCRIPT,
    "payload_lookalike": "/",
    "broken_payload": '/inform{"full_name": ',
}


def post(assistant: Assistant, **kwargs: Any) -> requests.Response:
    return requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=60, **kwargs)


def user_events(assistant: Assistant, sender: str) -> list[dict[str, Any]]:
    return [e for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


def crisis_alerts(assistant: Assistant, sender: str) -> list[dict[str, Any]]:
    """The staff alerts for a conversation; the event broker writes them as the turn is stored."""
    query = sa.select(storage.crisis_alerts).where(storage.crisis_alerts.c.sender_id == sender)
    deadline = time.monotonic() + 10
    while True:
        with storage.engine(assistant.stack.settings.database_url).connect() as connection:
            rows = [dict(row) for row in connection.execute(query).mappings()]
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def still_answers(assistant: Assistant) -> None:
    assert "988" in texts(assistant.send("hello")), "the assistant answers normally afterwards"


@pytest.mark.parametrize("kind", sorted(ODD_MESSAGES))
def test_odd_messages_get_a_reply(assistant: Assistant, kind: str) -> None:
    response = post(assistant, json={"sender": new_sender(), "message": ODD_MESSAGES[kind]})
    assert response.status_code == 200, response.text
    assert texts(response.json()).strip(), f"{kind}: the person got no reply"


def test_control_characters_are_dropped_before_the_message_is_stored(assistant: Assistant) -> None:
    sender = new_sender()
    assistant.send("how much\x00 does\x1b[2J it\x07 cost?\r\nthanks", sender)
    stored = user_events(assistant, sender)[-1]["text"]
    assert stored == "how much does[2J it cost?\nthanks"


def test_a_broken_utf16_half_is_replaced_not_a_crash(assistant: Assistant) -> None:
    sender = new_sender()
    body = '{"sender": "' + sender + '", "message": "hi \\ud800 there"}'
    response = post(assistant, data=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and texts(response.json())
    assert user_events(assistant, sender)[-1]["text"] == "hi \ufffd there"


def test_sql_injection_is_only_text(assistant: Assistant) -> None:
    sender = new_sender()
    assistant.send("hello", sender)
    assistant.send(ODD_MESSAGES["sql"], sender)
    assert [e["text"] for e in user_events(assistant, sender)] == ["hello", ODD_MESSAGES["sql"]], "the events table is intact"


def test_a_message_at_the_limit_is_read(assistant: Assistant) -> None:
    text = (FILLER * 40)[: LIMIT - len(" How much does it cost?")] + " How much does it cost?"
    assert len(text) == LIMIT
    sender = new_sender()
    reply = texts(assistant.send(text, sender))
    assert TOO_LONG not in reply and user_events(assistant, sender)[-1]["text"] == text


@pytest.mark.parametrize("length", [LIMIT + 1, 10_000])
def test_an_over_long_message_gets_a_kind_reply_and_is_neither_read_nor_kept(assistant: Assistant, length: int) -> None:
    sender = new_sender()
    reply = texts(assistant.send((FILLER * 200)[:length], sender))
    assert TOO_LONG in reply and "shorter parts" in reply and f"{length:,}" in reply
    assert user_events(assistant, sender) == [], "nothing was passed to the NLU or stored"
    still_answers(assistant)


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_crisis_language_anywhere_in_an_over_long_message_gets_the_crisis_reply(assistant: Assistant, where: str) -> None:
    filler = FILLER * 130  # about 10,000 characters
    text = {"start": f"{CRISIS}. {filler}", "middle": f"{filler[:5000]} {CRISIS}. {filler[5000:]}", "end": f"{filler} {CRISIS}"}[where]
    sender = new_sender()
    replies = assistant.send(text, sender)
    assert all(line in replies[0]["text"] for line in CRISIS_LINES), "the crisis reply comes first"
    assert "only read part of it" in replies[-1]["text"], "the person is told the rest was not read"
    stored = user_events(assistant, sender)[-1]
    assert stored["parse_data"]["intent"]["name"] == "crisis_disclosure"
    assert CRISIS in stored["text"] and len(stored["text"]) <= LIMIT, "staff see the person's own crisis words"
    assert crisis_alerts(assistant, sender), "staff are alerted as for any crisis message"


def test_an_over_long_message_to_an_open_question_is_not_taken_as_the_answer(assistant: Assistant) -> None:
    sender = at_the_name_question(assistant)
    assert TOO_LONG in texts(assistant.send("Jane " * 1000, sender))
    tracker = assistant.tracker(sender)
    assert tracker["active_loop"]["name"] == "contact_form" and tracker["slots"]["full_name"] is None
    assert "date of birth" in texts(assistant.send("jane doe", sender)), "the question was still open"
    assert assistant.slot(sender, "full_name") == "Jane Doe"


def at_the_name_question(assistant: Assistant) -> str:
    sender = new_sender()
    assistant.send("hi", sender)
    assistant.send("start the questionnaire", sender)
    assistant.send("I agree", sender)
    assert assistant.slot(sender, "requested_slot") == "full_name"
    return sender


@pytest.mark.parametrize("kind", ["empty", "whitespace", "emoji", "chinese", "control", "nul", "sql", "html", "broken_payload"])
def test_odd_input_to_an_open_question_is_re_asked_never_stored(assistant: Assistant, kind: str) -> None:
    sender = at_the_name_question(assistant)
    response = post(assistant, json={"sender": sender, "message": ODD_MESSAGES[kind]})
    assert response.status_code == 200 and texts(response.json()).strip()
    tracker = assistant.tracker(sender)
    assert tracker["slots"]["full_name"] is None, f"{kind} was stored as a name"
    assert tracker["active_loop"]["name"] == "contact_form" and tracker["slots"]["requested_slot"] == "full_name"


def test_a_long_crisis_message_to_an_open_question_stops_the_form(assistant: Assistant) -> None:
    sender = at_the_name_question(assistant)
    replies = texts(assistant.send(f"{FILLER * 50} {CRISIS}", sender))
    assert all(line in replies for line in CRISIS_LINES)
    tracker = assistant.tracker(sender)
    assert tracker["slots"]["full_name"] is None and tracker["slots"]["crisis_detected"] is True
    assert not (tracker.get("active_loop") or {}).get("name"), "the questionnaire does not carry on over a crisis"


BAD_BODIES = {
    "not JSON": {"data": "{not json", "headers": {"Content-Type": "application/json"}},
    "empty body": {"data": b""},
    "invalid UTF-8": {"data": b'{"sender": "a", "message": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}},
    "JSON array": {"json": ["hi"]},
    "JSON string": {"json": "hi"},
    "JSON null": {"json": None},
    "form-encoded": {"data": {"sender": "a", "message": "hi"}},
    "multipart": {"files": {"message": ("m.txt", b"hi")}},
    "deep nesting": {"data": "[" * 20_000 + "]" * 20_000, "headers": {"Content-Type": "application/json"}},
    "no sender": {"json": {"message": "hi"}},
    "empty sender": {"json": {"sender": " ", "message": "hi"}},
    "sender as object": {"json": {"sender": {"id": 1}, "message": "hi"}},
    "sender with NUL": {"json": {"sender": "a\x00b", "message": "hi"}},
    "sender too long": {"json": {"sender": "x" * 500, "message": "hi"}},
    "no message": {"json": {"sender": "a"}},
    "message null": {"json": {"sender": "a", "message": None}},
    "message number": {"json": {"sender": "a", "message": 42}},
    "message list": {"json": {"sender": "a", "message": ["hi"]}},
    "metadata not an object": {"json": {"sender": "a", "message": "hi", "metadata": "x"}},
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_rest_requests_get_400_saying_what_is_wrong(assistant: Assistant, case: str) -> None:
    response = post(assistant, **BAD_BODIES[case])
    assert response.status_code == 400, response.text
    assert response.json()["error"], "a reason the integrator can act on"


def test_a_number_as_sender_and_json_sent_as_text_plain_are_accepted(assistant: Assistant) -> None:
    for request in ({"json": {"sender": 12345678, "message": "hi"}}, {"data": json.dumps({"sender": new_sender(), "message": "hi"})}):
        response = post(assistant, **request)
        assert response.status_code == 200 and texts(response.json())


def test_a_client_cannot_claim_another_channel(assistant: Assistant) -> None:
    sender = new_sender()
    post(assistant, json={"sender": sender, "message": "hi", "input_channel": "twilio"})
    assert user_events(assistant, sender)[-1]["input_channel"] == "rest"


def test_an_over_size_body_gets_413_and_the_server_keeps_answering(assistant: Assistant) -> None:
    response = post(assistant, json={"sender": new_sender(), "message": "a" * (assistant.stack.settings.max_request_bytes + 1)})
    assert response.status_code == 413
    still_answers(assistant)


def test_web_chat_http_endpoints_refuse_bad_requests_without_a_500(assistant: Assistant) -> None:
    base = f"{assistant.url}/webhooks/webchat"
    assert requests.post(f"{base}/", data="{bad", timeout=10).status_code == 405
    assert requests.get(f"{base}/assets/..%2f..%2fcredentials.yml", timeout=10).status_code == 404
    assert requests.get(f"{base}/assets/nothing.js", timeout=10).status_code == 404
    polling = f"{assistant.url}/socket.io/?EIO=4&transport=polling"
    assert requests.post(polling, data="{bad", timeout=10).status_code == 400
    assert requests.post(polling + "&sid=forged", json={"a": 1}, timeout=10).status_code == 400
    page = requests.get(f"{base}/", timeout=10)
    assert f'data-max-bytes="{assistant.stack.settings.max_request_bytes}"' in page.text and "maxlength" not in page.text
    still_answers(assistant)


class WebChat:
    """One visitor on the web chat, speaking socket.io like the page does."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.turn_done = asyncio.Event()
        self.client.on("bot_uttered", self.replies.append)
        self.client.on("bot_turn_done", lambda *_: self.turn_done.set())
        self.client.on("history", self._history)

    def _history(self, messages: list[dict[str, Any]]) -> None:
        self.history = messages

    async def __aenter__(self) -> WebChat:
        confirmed = asyncio.Event()

        def confirm(token: str) -> None:
            self.token = token
            confirmed.set()

        self.client.on("session_confirm", confirm)
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        await self.client.emit("session_request", {"session_id": self.token})
        await asyncio.wait_for(confirmed.wait(), 30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Without waiting for the open long-poll to end (up to socket.io's 25 s ping interval).
        await self.client.eio.disconnect(abort=True)

    async def say(self, data: Any) -> str:
        self.replies.clear()
        self.turn_done.clear()
        await self.client.emit("user_uttered", data)
        await asyncio.wait_for(self.turn_done.wait(), 60)
        return "\n".join(r.get("text", "") for r in self.replies)


async def test_web_chat_messages_of_any_shape_get_a_reply_or_are_ignored(assistant: Assistant) -> None:
    async with WebChat(assistant.url) as chat:
        for data in ({"message": 42}, {"text": "hi"}, "hi", None, ["hi"]):
            await chat.client.emit("user_uttered", data)  # no text: ignored, the connection stays
        assert "988" in await chat.say({"message": "hello"})
        assert TOO_LONG in await chat.say({"message": FILLER * 150})
        crisis = await chat.say({"message": f"{FILLER * 150} {CRISIS}"})
        assert all(line in crisis for line in CRISIS_LINES) and "only read part of it" in crisis
        for kind in ("emoji", "control", "html", "sql", "empty"):
            assert (await chat.say({"message": ODD_MESSAGES[kind]})).strip(), kind
        assert chat.client.connected


@pytest.mark.parametrize("token", ["web-x.\u00b2.sig", "web-x.1.sig\x00", "a.b", "web-x.99999999999999999999999.s", "\ud800"])
async def test_a_forged_or_odd_session_token_gets_a_new_conversation(assistant: Assistant, token: str) -> None:
    async with WebChat(assistant.url, token) as chat:
        assert chat.token and chat.token.startswith("web-") and chat.token != token
        assert "988" in await chat.say({"message": "hello"})


async def test_web_chat_refuses_a_frame_over_the_size_limit_and_stays_up(assistant: Assistant) -> None:
    async with WebChat(assistant.url) as chat:
        await chat.client.emit("user_uttered", {"message": "a" * (assistant.stack.settings.max_request_bytes + 10)})
        await asyncio.sleep(2)
        assert not chat.replies, "the oversized frame never reached the assistant"
    async with WebChat(assistant.url) as chat:
        assert "988" in await chat.say({"message": "hello"})


async def test_script_typed_in_the_web_chat_comes_back_as_text_and_the_console_escapes_it(assistant: Assistant) -> None:
    async with WebChat(assistant.url) as chat:
        await chat.say({"message": SCRIPT})
    async with WebChat(assistant.url, chat.token) as again:
        for _ in range(50):
            if again.history:
                break
            await asyncio.sleep(0.1)
        assert {"sender": "user", "text": SCRIPT} in again.history, "replayed as data; the page inserts it with textContent"
    sender = str(chat.token).split(".", 1)[0]
    engine = storage.engine(assistant.stack.settings.database_url)
    email = f"{sender}@clinic.example"
    accounts.save_user(engine, email, PASSWORD, "staff")
    staff = Staff(assistant.stack.console_url)
    staff.login(email)
    page = staff.get(f"/conversations/{sender}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page



def test_the_console_refuses_over_size_and_malformed_bodies_without_a_500(assistant: Assistant) -> None:
    console = assistant.stack.console_url
    big = {"email": "x@clinic.example", "password": "p" * 100_000, "csrf": "x"}
    assert requests.post(f"{console}/login", data=big, timeout=30).status_code == 413
    for body, content_type, status in (
        ("{bad", "application/json", 403),  # read as an empty form: the CSRF check refuses it
        ("", "text/plain", 403),
        (b"email=%ff&csrf=x", "application/x-www-form-urlencoded", 403),
        (b"email=\xff\xfe", "application/x-www-form-urlencoded", 400),  # was a 500: not UTF-8
        (b"--x\r\n", "multipart/form-data; boundary=x", 400),  # was a 500: a broken multipart body
        (b"x", "multipart/form-data", 400),  # was a 500: no boundary
    ):
        response = requests.post(f"{console}/login", data=body, headers={"Content-Type": content_type}, timeout=30)
        assert response.status_code == status, (body, response.status_code)
    engine = storage.engine(assistant.stack.settings.database_url)
    accounts.save_user(engine, "bodies@clinic.example", PASSWORD, "staff")
    staff = Staff(console)
    staff.login("bodies@clinic.example")
    sender = new_sender()
    assistant.send("hello", sender)
    assert staff.submit(f"/conversations/{sender}/messages", text="x" * 100_000).status_code == 413
    note = staff.submit(f"/conversations/{sender}/messages", text="\x00" * 10)
    assert note.status_code == 200 and "Take over the conversation" in note.text
    assert requests.get(f"{console}/login", timeout=30).status_code == 200, "the console still answers"
