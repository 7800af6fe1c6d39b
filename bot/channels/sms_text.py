"""The SMS rules as pure functions: carrier keywords, numbered buttons, and SMS-sized text.

Kept apart from the Twilio channel so that each rule is tested without a server,
and so that the crisis reply's wording is never changed by accident: these
functions only re-punctuate, number and split, and shorten only when asked to.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any


class Keyword(Enum):
    """Carrier-required keywords (CTIA). Twilio's own opt-out handling uses the same words."""

    STOP = "stop"
    START = "start"
    HELP = "help"


_KEYWORDS = {
    **dict.fromkeys(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"], Keyword.STOP),
    **dict.fromkeys(["START", "UNSTOP", "YES"], Keyword.START),
    **dict.fromkeys(["HELP", "INFO"], Keyword.HELP),
}

# Typographic characters outside the GSM-7 alphabet turn a whole SMS into UCS-2 (70 instead of 160
# characters a segment); plain equivalents keep replies cheap and in one piece.
_PLAIN = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u2022": "-"}
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_NUMBER_REPLY = re.compile(r"#?(\d{1,2})[.)]?")


def keyword(body: str) -> Keyword | None:
    """The keyword a whole message is (`stop`, `Stop.`, `STOP ALL`), else None; `stop it` is not one."""
    return _KEYWORDS.get(re.sub(r"[\s.!]+", "", body).upper())


def plain_text(text: str) -> str:
    """Markdown and typographic punctuation as an SMS shows them: plain characters, links spelled out."""
    text = _MARKDOWN_LINK.sub(r"\1 (\2)", text).replace("**", "").replace("__", "")
    text = text.translate(_PLAIN).replace("\u2026", "...")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def with_numbered_buttons(text: str, buttons: list[dict[str, Any]]) -> str:
    """Buttons become numbered options, because a text message cannot carry buttons."""
    options = "\n".join(f"{number}) {button.get('title', '')}" for number, button in enumerate(buttons, start=1))
    return f"{text}\n\nReply with a number:\n{options}"


def button_choice(body: str, buttons: list[dict[str, Any]]) -> str | None:
    """The payload of the button a reply picks, by its number or its exact title, else None."""
    reply = body.strip()
    number = _NUMBER_REPLY.fullmatch(reply)
    if number and 1 <= int(number.group(1)) <= len(buttons):
        return str(buttons[int(number.group(1)) - 1].get("payload", ""))
    for button in buttons:
        if reply.casefold() == str(button.get("title", "")).strip().casefold():
            return str(button.get("payload", ""))
    return None


def _cut_point(text: str, limit: int) -> int:
    """Where to break `text` at most `limit` characters in: a paragraph, line, sentence or word end."""
    window = text[: limit + 1]
    for separator in ("\n\n", "\n", ". ", "? ", "! ", " "):
        position = window.rfind(separator, limit // 3, limit)
        if position > 0:
            return position + len(separator.rstrip())  # keep a sentence's full stop with it
    return limit


def split_message(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, broken where a reader expects a break."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def fit_to_sms(text: str, limit: int, max_parts: int | None, shortened_note: str = "") -> list[str]:
    """Split `text` into SMS bodies; beyond `max_parts` the last body is cut and ends with `shortened_note`.

    `max_parts=None` never shortens: used for the crisis replies, whose every line matters.
    """
    parts = split_message(text, limit)
    if max_parts is None or len(parts) <= max_parts:
        return parts
    kept = parts[:max_parts]
    room = limit - len(shortened_note) - 3
    last = kept[-1] if len(kept[-1]) <= room else kept[-1][:room].rsplit(" ", 1)[0]
    kept[-1] = f"{last.rstrip()}...{shortened_note}"
    return kept
