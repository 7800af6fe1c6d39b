"""Properties of reading `.env`: any value is either accepted or refused with a one-line ConfigError, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import settings as config

FAST = settings(max_examples=80, deadline=None)
NUMBER_KEYS = [
    "RASA_PORT", "SMTP_PORT", "CONSOLE_PORT", "CONSOLE_IDLE_MINUTES", "ALERT_POLL_SECONDS", "MAX_MESSAGE_CHARS", "MAX_REQUEST_BYTES",
]  # fmt: skip
values = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    st.integers(min_value=-10, max_value=10**7).map(str),
)


@FAST
@given(st.sampled_from(NUMBER_KEYS), values)
def test_any_number_setting_is_accepted_or_refused_with_a_message(key: str, value: str) -> None:
    try:
        loaded = config.load(env_file=Path("/nonexistent/.env"), overrides={key: value})
    except config.ConfigError as error:
        assert key in str(error)
        return
    assert loaded.max_request_bytes >= 4 * loaded.max_message_chars + 1024


@pytest.mark.parametrize("key", NUMBER_KEYS)
def test_unicode_digits_are_refused_not_a_crash(key: str) -> None:
    with pytest.raises(config.ConfigError, match=key):
        config.load(env_file=Path("/nonexistent/.env"), overrides={key: "8\u00b2"})


def test_the_request_limit_must_hold_a_message_at_the_limit() -> None:
    with pytest.raises(config.ConfigError, match="MAX_REQUEST_BYTES"):
        config.load(env_file=Path("/nonexistent/.env"), overrides={"MAX_MESSAGE_CHARS": "5000", "MAX_REQUEST_BYTES": "20000"})
    loaded = config.load(env_file=Path("/nonexistent/.env"), overrides={"MAX_MESSAGE_CHARS": "20000"})
    assert loaded.max_request_bytes == 4 * 20000 + 1024, "the default body limit grows with the message limit"
