"""No patient data in any log line: names, phone numbers, e-mail addresses, message text.

The end-to-end test drives a real assistant the way a patient and a staff member
would (questionnaire contact details, a crisis message, a console search, a
turn that fails inside Rasa) and then reads every log file its processes wrote.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot import log_redaction, storage
from bot.console import accounts
from bot.stack import LOG_DIR
from tests.conftest import Assistant, start_stack, texts
from tests.console_support import PASSWORD, Staff
from tests.fault_proxy import FaultProxy

NAME = "Rosalind Featherstonehaugh"
PHONE = "(555) 867-5309"
EMAIL = "rosalind.fh@example.org"
SECRETS = ("Featherstonehaugh", "Rosalind", "867-5309", "8675309", "867 5309", EMAIL, "end my life", "lonely lighthouse")


@pytest.fixture
def redacted_log() -> list[str]:
    """Records of a throwaway logger, formatted the standard way, with the redaction installed as in every process."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    original = logging.Logger.makeRecord
    log_redaction.install()
    logger = logging.getLogger(f"test.privacy.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(Collect())
    logger.setLevel(logging.INFO)
    try:
        yield lines, logger
    finally:
        logging.Logger.makeRecord = original  # type: ignore[method-assign]


def test_message_text_in_rasas_channel_error_log_is_hidden(redacted_log) -> None:  # noqa: ANN001
    lines, logger = redacted_log
    logger.error("An exception occurred while handling user message '%s'.", f"I'm {NAME}, call {PHONE}")
    assert lines == ["An exception occurred while handling user message '[redacted]'."]


def test_exception_messages_are_hidden_but_the_traceback_stays(redacted_log) -> None:  # noqa: ANN001
    lines, logger = redacted_log
    try:
        int(NAME)
    except ValueError:
        logger.exception("Could not read an answer in conversation %s.", "conv-42")
    assert "conv-42" in lines[0] and "Traceback" in lines[0] and "ValueError: [redacted]" in lines[0]
    assert "Rosalind" not in lines[0]


def test_structured_logs_lose_their_text_fields(redacted_log) -> None:  # noqa: ANN001
    lines, logger = redacted_log
    logger.info(json.dumps({"event": "processor.message.parse", "parse_data_text": NAME, "sender_id": "conv-7"}))
    assert json.loads(lines[0]) == {"event": "processor.message.parse", "parse_data_text": "[redacted]", "sender_id": "conv-7"}


def test_access_log_query_strings_phones_and_emails_are_masked(redacted_log) -> None:  # noqa: ANN001
    lines, logger = redacted_log
    logger.info("GET /conversations/conv-7/tracker?token=s3cret HTTP/1.1 200", extra={"request": "GET /?q=Rosalind"})
    logger.info("contact +1 555 867 5309 or 555.867.5309 or %s", EMAIL)
    assert lines[0] == "GET /conversations/conv-7/tracker?[redacted] HTTP/1.1 200"
    assert lines[1] == "contact [redacted] or [redacted] or [redacted]"


def test_identifiers_that_staff_need_stay_readable(redacted_log) -> None:  # noqa: ANN001
    lines, logger = redacted_log
    logger.info("Action 'utter_crisis' in conversation %s, model 'models/assistant.tar.gz', port 5005", "test-4f2a")
    assert lines == ["Action 'utter_crisis' in conversation test-4f2a, model 'models/assistant.tar.gz', port 5005"]


def log_lines(stack_name: str) -> list[str]:
    files = sorted(LOG_DIR.glob(f"{stack_name}-*.log"))
    assert {f.name.rsplit("-", 1)[1] for f in files} >= {"rasa.log", "actions.log", "alerts.log", "console.log"}
    return [line for path in files for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]


def test_no_patient_data_in_any_log_line(tmp_path: Path) -> None:
    name = f"privacy-{uuid.uuid4().hex[:8]}"
    sender = f"privacy-{uuid.uuid4().hex[:12]}"
    # Redis (the lock store) behind a proxy the test can cut: a turn then fails inside Rasa's
    # message handling, where Rasa's own REST channel logged the text it could not handle.
    with FaultProxy("127.0.0.1", 6379) as redis_link:
        stack = start_stack(tmp_path, name, {"REDIS_URL": f"redis://127.0.0.1:{redis_link.port}/3"}, alert_worker=True)
        try:
            assistant = Assistant(stack)
            for answer in ("I'd like to start the questionnaire", "I agree", NAME, "April 23rd, 1985", PHONE, EMAIL):
                assistant.send(answer, sender)
            assert assistant.slot(sender, "full_name"), "the contact details were taken as answers"
            assert "988" in texts(assistant.send(f"this is {NAME} at {PHONE}, I want to end my life", sender))
            accounts.save_user(storage.engine(stack.settings.database_url), "dana@clinic.example", PASSWORD, "staff")
            staff = Staff(stack.console_url)
            staff.login("dana@clinic.example")
            assert staff.get("/", params={"q": NAME}).ok
            redis_link.cut()
            failed = requests.post(
                f"{stack.rasa_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": f"{NAME} here, the lonely lighthouse keeper, {PHONE}"},
                timeout=30,
            )
            assert "try again" in failed.text, "this turn was meant to fail"
            time.sleep(1.0)
        finally:
            stack.stop()
    lines = log_lines(f"test-{name}")
    assert any("ERROR" in line and sender in line for line in lines), "the failed turn is logged under its conversation id"
    leaks = [line for line in lines if any(secret.lower() in line.lower() for secret in SECRETS)]
    assert leaks == []
