"""Keeps patient data out of every log line the assistant's processes write.

The project's own code logs conversation ids only, but Rasa, rasa-sdk, Sanic and
aiohttp were not written for health data: Rasa's channels log the text of a message
that failed ("handling user message '...'"), exception messages carry the values
that caused them ("invalid literal for int(): 'Dana'"), access logs carry query
strings (the API token, a console search for a patient's name) and structured debug
logs carry whole trackers. Names cannot be recognised reliably, so redaction here
removes the places text can appear rather than looking for names in it:

- at record creation (`Logger.makeRecord`), so it applies to every logger and handler
  in the process, including ones configured later by Rasa or Sanic;
- quoted strings, exception messages, query strings and the values of structured
  logs' text fields are replaced by a marker; phone numbers and e-mail addresses
  anywhere in a line are masked as well.

`python -m bot.log_redaction <module> [args]` runs a module (`rasa`, `rasa_sdk`)
with the redaction installed first; `bot.stack` starts every process that way.
"""

from __future__ import annotations

import json
import logging
import re
import runpy
import sys
import traceback
from types import TracebackType
from typing import Any

MARK = "[redacted]"

# Keys whose values are user text in Rasa's structured (structlog) logs; the list is Rasa's
# own `_anonymizer` list (rasa/utils/log_utils.py), which it applies only when a plugin asks.
STRUCTURED_TEXT_KEYS = frozenset(
    {
        "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
        "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
        "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states",
        "successes", "current_entity", "next_entity", "states", "entity", "token_text", "user_message",
        "json_message", "events", "tracker", "slots", "value", "exc_value",
    }
)  # fmt: skip

_QUERY = re.compile(r"\?[^\s\"']*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, possibly separated by spaces, dots, dashes or brackets, optionally with a +:
# phone numbers in any national format. Timestamps and ids with fewer separated digits survive.
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d(?:[\s().-]{0,2}\d){6,}(?!\w)")
# Quoted paths, conversation ids, action and intent names ('utter_crisis', 'models/x.tar.gz') are kept;
# any other quoted text is hidden from its opening quote to the line's last matching quote, so that an
# apostrophe inside a message ("I'm") cannot end the hidden part early.
_QUOTED_IDENTIFIER = re.compile(r"""(?<!\w)(['"])[\w:@]*[_./-][\w./:@-]*\1(?!\w)""")
_QUOTED_TEXT = re.compile(r"""(?<!\w)(['"]).*\1(?!\w)|(?<!\w)(['"]).*""")


def redact_text(line: str) -> str:
    line = _QUERY.sub(f"?{MARK}", line)
    kept = [match.group(0) for match in _QUOTED_IDENTIFIER.finditer(line)]
    line = _QUOTED_TEXT.sub(f"'{MARK}'", _QUOTED_IDENTIFIER.sub("\0", line))
    for identifier in kept:
        line = line.replace("\0", identifier, 1)
    line = _EMAIL.sub(MARK, line)
    return _PHONE.sub(MARK, line)


def _redact_structured(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MARK if k in STRUCTURED_TEXT_KEYS else _redact_structured(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_structured(v) for v in value]
    return redact_text(value) if isinstance(value, str) else value


def redact_message(message: str) -> str:
    stripped = message.lstrip()
    if stripped.startswith("{"):
        try:
            return json.dumps(_redact_structured(json.loads(stripped)))
        except ValueError:
            pass
    return redact_text(message)


def redact_exception(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> str:
    """The traceback's frames (code locations, no values) and each exception's type, never its message."""
    lines: list[str] = []
    for part in traceback.TracebackException(*exc_info).format():
        if part.startswith(("Traceback", "  File", "    ", "\n", "During handling", "The above exception")):
            lines.append(redact_text(part))
        else:
            name = part.split(":", 1)[0].strip()
            lines.append(f"{name}: {MARK}\n" if name.replace(".", "").replace("_", "").isalnum() else f"{MARK}\n")
    return "".join(lines).rstrip("\n")


_make_record = logging.Logger.makeRecord


def _redacted_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(self, *args, **kwargs)
    try:
        record.msg = redact_message(record.getMessage())
    except (TypeError, ValueError, KeyError):  # arguments that do not format: keep the line, drop them
        record.msg = redact_message(str(record.msg))
    record.args = None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact_exception(record.exc_info)  # formatters print exc_text when it is set
    record.exc_info = None
    for name, value in (kwargs.get("extra") or (args[8] if len(args) > 8 else None) or {}).items():
        if isinstance(value, str):
            setattr(record, name, redact_text(value))
    return record


def install() -> None:
    """Every record, of every logger, passes through `Logger.makeRecord`: `extra` fields (access logs) included."""
    logging.Logger.makeRecord = _redacted_record  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: python -m bot.log_redaction <module> [args...]")
    install()
    sys.argv = argv
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
