"""Properties of what the channels do to untrusted input, for any input Hypothesis can think of.

The size limit and cleaning (bot/channels/incoming.py), the REST request reader
(bot/channels/rest.py), the SMS text rules (sms_text.py) and the signed web chat
sessions (signing.py) read text and tokens from anyone on the internet.
"""

from __future__ import annotations

import json
import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.incoming import TOO_LONG_REPLY, WINDOW_OVERLAP, clean, screen, windows
from bot.channels.rest import MAX_SENDER_CHARS, BadRequest, read_request
from bot.channels.signing import issue_session, verify_session
from bot.channels.sms_text import Keyword, button_choice, fit_to_sms, keyword, plain_text, split_message

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKER = "CRISISMARKER"
any_text = st.text(alphabet=st.characters(codec=None), max_size=400)
words = st.text(alphabet=string.ascii_letters + " .,!?\n", max_size=600)


def no_space(text: str) -> str:
    return "".join(text.split())


@FAST
@given(any_text)
def test_clean_keeps_no_control_characters_and_is_stable(text: str) -> None:
    cleaned = clean(text)
    assert all(c in "\n\t" or unicodedata.category(c) not in {"Cc", "Cs"} for c in cleaned)
    assert clean(cleaned) == cleaned
    cleaned.encode("utf-8")  # storable and sendable: no broken UTF-16 halves left


@FAST
@given(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]), max_size=400))
def test_clean_leaves_ordinary_text_alone(text: str) -> None:
    assert clean(text) == text


@FAST
@given(st.text(max_size=5000), st.integers(min_value=10, max_value=2500))
def test_windows_cover_the_text_and_every_short_phrase_is_whole_in_one(text: str, size: int) -> None:
    parts = windows(text, size)
    assert all(len(part) <= size for part in parts)
    assert parts[0] == text[:size] and text.endswith(parts[-1])
    reach = min(WINDOW_OVERLAP, size // 2)
    for start in range(0, max(1, len(text) - reach), 97):
        phrase = text[start : start + reach]
        assert any(phrase in part for part in parts), "a phrase up to the overlap is never split between windows"


async def marker_parser(text: str) -> dict[str, object]:
    return {"text": text, "intent": {"name": "crisis_disclosure" if MARKER in text else "faq", "confidence": 1.0}}


@FAST
@given(words, st.integers(min_value=160, max_value=700), st.one_of(st.none(), st.floats(min_value=0, max_value=1)))
async def test_screen_passes_short_text_untouched_and_never_drops_a_crisis(text: str, limit: int, where: float | None) -> None:
    if where is not None:
        cut = int(len(text) * where)
        text = f"{text[:cut]} {MARKER} {text[cut:]}"
    screened = await screen(text, limit, marker_parser)
    if len(text) <= limit:
        assert screened.text == text and screened.parse_data is None and screened.note is None
    elif where is not None:
        assert screened.text is not None and MARKER in screened.text and len(screened.text) <= limit
        assert screened.parse_data is not None and screened.note
    else:
        assert screened.text is None and screened.note == TOO_LONG_REPLY.format(limit=limit, length=len(text))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=10,
)


@FAST
@given(st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_any_rest_body_is_a_message_or_a_bad_request_never_a_crash(body: bytes) -> None:
    try:
        message = read_request(body)
    except BadRequest as error:
        assert str(error)
        return
    assert isinstance(message.text, str) and message.sender.isprintable() and 0 < len(message.sender) <= MAX_SENDER_CHARS


@FAST
@given(
    st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=MAX_SENDER_CHARS),
    any_text,
    st.one_of(st.none(), st.dictionaries(st.text(max_size=10), st.integers(), max_size=3)),
)
def test_a_well_formed_rest_body_round_trips(sender: str, text: str, metadata: dict | None) -> None:
    body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata is not None else {})}
    message = read_request(json.dumps(body).encode())
    assert (message.sender, message.text, message.metadata) == (sender, clean(text), metadata)


@FAST
@given(st.text(alphabet=string.printable, max_size=40))
def test_sms_keywords_ignore_case_and_surrounding_spaces_and_full_stops(body: str) -> None:
    assert keyword(f"  {body.upper()}. ") == keyword(body) == keyword(body.lower())


@FAST
@given(any_text, st.text(alphabet=string.ascii_letters, min_size=1, max_size=12).filter(lambda w: w.upper() != "ALL"))
def test_a_keyword_with_more_words_is_a_message_not_a_keyword(body: str, more: str) -> None:
    assert keyword(body) is None or isinstance(keyword(body), Keyword)
    assert keyword(f"stop {more}") is None and keyword(f"help {more}") is None


buttons = st.lists(st.fixed_dictionaries({"title": st.text(max_size=30), "payload": st.text(min_size=1, max_size=30)}), max_size=6)


@FAST
@given(any_text, buttons)
def test_a_reply_picks_one_of_the_offered_buttons_or_none(body: str, offered: list[dict[str, str]]) -> None:
    choice = button_choice(body, offered)
    assert choice is None or choice in {b["payload"] for b in offered}


@FAST
@given(st.integers(min_value=1, max_value=6), buttons.filter(bool))
def test_the_number_of_a_button_picks_it(number: int, offered: list[dict[str, str]]) -> None:
    if number <= len(offered):
        assert button_choice(f" {number}. ", offered) == offered[number - 1]["payload"]


@FAST
@given(words, st.integers(min_value=20, max_value=400))
def test_split_sms_keeps_every_word_in_order_within_the_limit(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert no_space("".join(parts)) == no_space(text)


@FAST
@given(words, st.integers(min_value=60, max_value=400), st.integers(min_value=1, max_value=4))
def test_fit_to_sms_shortens_only_when_asked_and_stays_within_limits(text: str, limit: int, max_parts: int) -> None:
    assert no_space("".join(fit_to_sms(text, limit, None))) == no_space(text), "the crisis reply is never shortened"
    parts = fit_to_sms(text, limit, max_parts, " Call us.")
    assert len(parts) <= max_parts and all(len(part) <= limit for part in parts)


@FAST
@given(any_text)
def test_plain_sms_text_has_no_typographic_characters_or_runs_of_blank_lines(text: str) -> None:
    plain = plain_text(text)
    assert not set(plain) & set("\u2018\u2019\u201c\u201d\u2013\u2014\u00a0\u2022\u2026") and "\n\n\n" not in plain


secrets_ = st.binary(min_size=1, max_size=64)
sender_ids = st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=40).map(lambda s: "web-" + s)


@FAST
@given(secrets_, sender_ids, st.integers(min_value=0, max_value=2**40))
def test_a_session_token_verifies_only_unaltered_and_only_with_its_secret(secret: bytes, sender: str, now: int) -> None:
    token = issue_session(secret, sender, now=now)
    assert verify_session(secret, token, 3600, now=now + 10) == sender
    assert verify_session(secret + b"x", token, 3600, now=now + 10) is None
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert verify_session(secret, flipped, 3600, now=now + 10) is None


@FAST
@given(secrets_, st.one_of(any_text, json_values))
def test_any_claimed_session_is_refused_or_verified_never_a_crash(secret: bytes, claimed: object) -> None:
    assert verify_session(secret, claimed, 3600) in (None, *([claimed.split(".")[0]] if isinstance(claimed, str) else []))


@pytest.mark.parametrize("token", ["web-x.\u00b2.sig", "web-x.\u0663.sig", "web-x.1\u00b9.sig"])
def test_unicode_digits_in_a_token_are_refused_not_a_crash(token: str) -> None:
    assert verify_session(b"secret", token, 10**12) is None


async def test_a_window_the_nlu_fails_on_does_not_stop_the_crisis_check() -> None:
    calls: list[str] = []

    async def flaky(text: str) -> dict[str, object]:
        calls.append(text)
        if len(calls) == 1:
            raise ValueError("the NLU failed on this part")
        return await marker_parser(text)

    text = "a " * 1000 + MARKER
    screened = await screen(text, 500, flaky)
    assert len(calls) > 1 and screened.text is not None and MARKER in screened.text
