"""Web chat sessions and replayed history, without a browser."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from bot.channels.signing import issue_session, sms_sender_id, verify_session
from bot.channels.webchat import conversation_history

SECRET = b"sessions-test-secret"
HOUR = 3600.0


def test_only_an_unaltered_recent_token_from_this_server_resumes_its_conversation() -> None:
    token = issue_session(SECRET, now=1_000_000)
    sender_id, issued, signature = token.split(".")
    assert verify_session(SECRET, token, 12 * HOUR, now=1_000_000 + 11 * HOUR) == sender_id
    assert verify_session(SECRET, token, 12 * HOUR, now=1_000_000 + 13 * HOUR) is None, "expired"
    assert verify_session(b"another-server", token, 12 * HOUR, now=1_000_000) is None
    assert verify_session(SECRET, f"web-{'0' * 32}.{issued}.{signature}", 12 * HOUR, now=1_000_000) is None
    assert verify_session(SECRET, f"{sender_id}.{int(issued) + 1}.{signature}", 12 * HOUR, now=1_000_000) is None
    assert verify_session(SECRET, sender_id, 12 * HOUR, now=1_000_000) is None
    assert verify_session(SECRET, 12345, 12 * HOUR) is None
    assert issue_session(SECRET).split(".")[0] != issue_session(SECRET).split(".")[0]


def test_an_sms_sender_id_is_stable_per_number_and_does_not_contain_it() -> None:
    sender = sms_sender_id(SECRET, "+15550123456")
    assert sender == sms_sender_id(SECRET, " +15550123456 ")
    assert sender != sms_sender_id(SECRET, "+15550123457")
    assert "5550123456" not in sender and sender != sms_sender_id(b"other", "+15550123456")


def test_history_shows_button_titles_and_keeps_only_the_open_buttons() -> None:
    greet_buttons = [{"title": "Talk to a person", "payload": "/request_human"}]
    crisis_buttons = [{"title": "I'm safe right now", "payload": "/crisis_safe"}]
    events = [
        UserUttered("hi"),
        BotUttered("Hi!", data={"buttons": greet_buttons}),
        ActionExecuted("action_listen"),
        UserUttered("/request_human"),
        BotUttered("I've noted that."),
        UserUttered("/restart_now"),  # a payload typed by hand, not a button: not shown
        UserUttered("I want to kill myself"),
        BotUttered("Call or text 988.", data={"buttons": crisis_buttons}),
    ]
    history = conversation_history(events)
    assert [(m["sender"], m["text"]) for m in history] == [
        ("user", "hi"),
        ("bot", "Hi!"),
        ("user", "Talk to a person"),
        ("bot", "I've noted that."),
        ("user", "I want to kill myself"),
        ("bot", "Call or text 988."),
    ]
    assert "quick_replies" not in history[1]
    assert [b["payload"] for b in history[-1]["quick_replies"]] == ["/crisis_safe"]
