"""What every channel does with a person's message before the assistant reads it.

Two things, the same on REST, web chat and SMS:

- **Clean**: control characters (NUL, terminal escapes) and broken UTF-16
  halves carry nothing a person meant, but PostgreSQL refuses NUL in text and
  escapes can garble a terminal reading the logs; they are dropped (`clean`).
- **Size limit** (`MAX_MESSAGE_CHARS`, default 2,000 characters): a longer
  message is not passed to the NLU. The person is told, kindly, that it was not
  read or kept and asked to send it in shorter parts. Crisis safety comes
  first: before refusing, the whole text is read by the assistant's own NLU
  (both crisis detectors) in overlapping windows of the allowed size. If any
  window is a crisis, that window (the person's own words, within the limit)
  becomes the message, already classified, so the crisis reply, the alert and
  the staff transcript work as for any crisis message; the person is then told
  that only part of the message was read. Nothing is dropped without the
  person being told.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.crisis import CRISIS_INTENT

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 2000
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
# Windows overlap by this much, so a crisis phrase (far shorter) is always whole in at least one window.
WINDOW_OVERLAP = 200
_KEPT_CONTROLS = {"\n", "\t"}

TOO_LONG_REPLY = (
    "Sorry, that message is too long for me: I can read up to {limit:,} characters at a time, and it had {length:,}. "
    "I haven't read or kept it, so please send it again in shorter parts. "
    "If you need help urgently, call or text 988, or call 911 in an emergency."
)
PARTLY_READ_NOTE = (
    "Your message was longer than I can read at once ({limit:,} characters), so I only read part of it. "
    "If there's more you want us to know, please send it in shorter messages."
)

Parser = Callable[[str], Awaitable[dict[str, Any]]]


def clean(text: str) -> str:
    """The text without control characters (tabs and line breaks stay) and with lone surrogates replaced."""
    if re.search("[\ud800-\udfff]", text):
        text = text.encode("utf-16", errors="surrogatepass").decode("utf-16", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) != "Cc")


def windows(text: str, size: int, overlap: int = WINDOW_OVERLAP) -> list[str]:
    """Overlapping slices of at most `size` characters that together cover `text`."""
    step = max(1, size - min(overlap, size // 2))
    starts = range(0, max(1, len(text) - size + step), step)
    return [text[start : start + size] for start in starts]


@dataclass(frozen=True)
class Screened:
    """What to pass to the assistant (`text` None: nothing) and what to tell the person afterwards."""

    text: str | None
    parse_data: dict[str, Any] | None = None
    note: str | None = None


async def crisis_window(text: str, size: int, parse: Parser) -> dict[str, Any] | None:
    """The NLU result of the first window of `text` that either crisis detector flags, else None."""
    for window in windows(text, size):
        window = window.strip().lstrip("/")  # a window is read as words, never as a button payload
        try:
            parsed = await parse(window)
        except Exception:  # noqa: BLE001 - one unreadable window must not stop the others being read
            logger.exception("The NLU failed on part of an over-long message; reading the next part.")
            continue
        if (parsed.get("intent") or {}).get("name") == CRISIS_INTENT:
            return {**parsed, "text": window}
    return None


async def screen(text: str, max_chars: int, parse: Parser) -> Screened:
    """Decide what the assistant reads of one message, and what the person is told about the rest."""
    if len(text) <= max_chars:
        return Screened(text)
    crisis = await crisis_window(text, max_chars, parse)
    if crisis is not None:
        logger.warning("An over-long message (%d characters) contains crisis language; its crisis part is answered.", len(text))
        return Screened(crisis["text"], crisis, PARTLY_READ_NOTE.format(limit=max_chars))
    logger.info("An over-long message (%d characters) was not read; the person was asked to shorten it.", len(text))
    return Screened(None, None, TOO_LONG_REPLY.format(limit=max_chars, length=len(text)))


def agent_parser(app: Any) -> Parser:
    """Reads text with the loaded model's NLU (both crisis detectors), without touching any conversation."""

    async def parse(text: str) -> dict[str, Any]:
        return await app.ctx.agent.parse_message(text)

    return parse
