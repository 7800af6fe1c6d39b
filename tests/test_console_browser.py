"""The staff console in a real headless Chromium, as a clinic staff member uses it.

Debian's `chromium` driven by Playwright (`executable_path`; nothing downloads
a browser). `make screenshot` sets CONSOLE_SCREENSHOTS=docs to refresh the screenshots
the README shows; otherwise they go to a temporary folder, so a test run leaves the repo as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot import storage
from bot.console import accounts
from bot.stack import Stack
from tests.conftest import Assistant, new_sender, start_stack
from tests.console_support import PASSWORD, add_intake

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium from calling home: the tests make no requests outside this machine.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tempfile.mkdtemp(prefix="console-screenshots-"))
STAFF = "dana@clinic.example"
XSS = "<script>document.title='pwned'</script><img src=x onerror=\"alert('pwned')\"> is this safe?"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("console-browser"), "console-browser")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "the browser tests need Debian's Chromium: `make chromium` (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def patients(stack: Stack) -> dict[str, str]:
    """Three people chatted: one in crisis, one who typed a script, one who sent in an intake."""
    engine = storage.engine(stack.settings.database_url)
    accounts.save_user(engine, STAFF, PASSWORD, "staff")
    assistant = Assistant(stack)
    people = {"intake": new_sender(), "xss": new_sender(), "crisis": new_sender()}
    assistant.send("hello", people["intake"])
    add_intake(engine, people["intake"])
    assistant.send(XSS, people["xss"])
    assistant.send("how much does an infusion cost?", people["crisis"])
    assistant.send("I can't go on, I want to kill myself", people["crisis"])
    return people


def log_in(page: Page, stack: Stack, password: str = PASSWORD) -> None:
    page.goto(stack.console_url + "/")
    expect(page).to_have_url(stack.console_url + "/login?next=/")
    page.get_by_label("E-mail").fill(STAFF)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_wrong_password_is_refused(browser: Browser, stack: Stack, patients: dict[str, str]) -> None:
    page = browser.new_page()
    log_in(page, stack, password="Password123!")
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_staff_find_the_crisis_first_acknowledge_it_and_export_an_intake(browser: Browser, stack: Stack, patients: dict[str, str]) -> None:
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, stack)
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    first = page.locator(".inbox .row").first
    expect(first).to_contain_text("Crisis")
    expect(first).to_contain_text(patients["crisis"])
    expect(first).to_contain_text("not acknowledged")
    expect(page.locator(".inbox .row").nth(1)).to_contain_text("Intake to review")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-inbox.png"), full_page=True)

    first.get_by_role("link").first.click()
    expect(page.locator(".turn.user.crisis")).to_contain_text("I want to kill myself")
    expect(page.locator(".turn.bot").last).to_contain_text("988")
    expect(page.locator(".kb")).to_contain_text("Answered from knowledge-base entry")
    page.get_by_role("button", name="Acknowledge alert").click()
    expect(page.locator(".ack")).to_contain_text(f"Acknowledged by {STAFF}")
    page.get_by_role("link", name="Inbox").first.click()
    expect(page.locator(".inbox .row").first).to_contain_text(f"acknowledged by {STAFF}")

    page.goto(f"{stack.console_url}/conversations/{patients['xss']}")
    expect(page.locator(".turn.user .text").first).to_have_text(XSS)
    assert page.title() == "Conversation · Clinic staff console"
    assert page.locator("main script, main img").count() == 0

    page.goto(stack.console_url + "/")
    page.get_by_role("link", name="Intake #").first.click()
    expect(page.get_by_role("heading", name="PHQ-9: 12 (Moderate)")).to_be_visible()
    expect(page.locator(".flags")).to_contain_text("clinician follow-up")
    page.screenshot(path=str(SCREENSHOTS / "console-intake.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download FHIR JSON").click()
    resource = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert resource["resourceType"] == "QuestionnaireResponse"
    assert [group["linkId"] for group in resource["item"]][:2] == ["phq9", "gad7"]
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_role("status")).to_have_text("Marked as reviewed.")
    assert dialogs == [], "a patient's script must never run in a staff browser"

    engine = storage.engine(stack.settings.database_url)
    query = sa.select(storage.audit_log.c.action, storage.audit_log.c.detail).where(storage.audit_log.c.actor == STAFF)
    with engine.connect() as connection:
        recorded = connection.execute(query).all()
    actions = {action for action, _ in recorded}
    assert {"login_failed", "login", "view_inbox", "view_conversation", "acknowledge_alert", "view_intake", "review_intake"} <= actions
    assert ("export_intake", "fhir") in recorded


def test_inbox_fits_a_phone_screen(browser: Browser, stack: Stack, patients: dict[str, str]) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    log_in(page, stack)
    expect(page.locator(".inbox .row").first).to_be_visible()
    for path in ("/", f"/conversations/{patients['crisis']}"):
        page.goto(stack.console_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{path} scrolls sideways on a phone"


def patient_says(page: Page, text: str) -> None:
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")


def test_staff_take_over_a_web_chat_and_the_patient_sees_them(browser: Browser, stack: Stack, patients: dict[str, str]) -> None:
    patient = browser.new_page(viewport={"width": 412, "height": 860})
    patient.goto(f"{stack.rasa_url}/webhooks/webchat/")
    patient.locator("#chat-send:enabled").wait_for(timeout=20000)
    marker = f"parking question {uuid.uuid4().hex[:8]}"
    patient_says(patient, f"hello, {marker}")
    patient.locator(".msg-bot").first.wait_for(timeout=30000)

    staff = browser.new_page()
    log_in(staff, stack)
    staff.get_by_label("Search").fill(marker)
    staff.get_by_role("button", name="Filter").click()
    staff.locator(".inbox .row").first.get_by_role("link").first.click()
    expect(staff.locator(".turn.user").first).to_contain_text(marker)
    staff.get_by_role("button", name="Take over this conversation").click()
    expect(staff.locator(".human-note")).to_contain_text(f"{STAFF} has been in this conversation")
    staff.get_by_label("Message").fill("Hi, this is Dana from the clinic. How can I help?")
    staff.get_by_role("button", name="Send").click()
    expect(staff.locator(".turn.staff")).to_contain_text("Hi, this is Dana from the clinic.")
    expect(patient.locator(".msg-bot").last).to_contain_text("Hi, this is Dana from the clinic.", timeout=10000)

    bots = patient.locator(".msg-bot").count()
    patient_says(patient, "where can I park?")
    patient.wait_for_timeout(1500)
    assert patient.locator(".msg-bot").count() == bots, "the assistant stays silent while staff are in the conversation"
    patient_says(patient, "I want to kill myself")
    expect(patient.locator(".msg-bot").last).to_contain_text("988", timeout=15000)
    staff.reload()
    expect(staff.locator(".turn.user.crisis")).to_contain_text("I want to kill myself")
    expect(staff.locator(".alert.unacknowledged")).to_be_visible()
    staff.screenshot(path=str(SCREENSHOTS / "console-takeover.png"), full_page=True)

    staff.get_by_role("button", name="Hand back to the assistant").click()
    expect(staff.get_by_role("status")).to_contain_text("The assistant answers this conversation again")
    bots = patient.locator(".msg-bot").count()
    patient_says(patient, "hello")
    patient.locator(".msg-bot").nth(bots).wait_for(timeout=30000)
