"""The web chat page in real headless Chromium, against a running assistant.

Set WEBCHAT_SCREENSHOT=docs/webchat.png (`make screenshot`) to refresh the README's screenshot.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bot.knowledge import load_clinic
from tests.conftest import Assistant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
PHONE = {"width": 412, "height": 860}
SESSION_KEY = "clinic-chat-session"
FAQ = "How much does an IV infusion cost?"
CRISIS = "I want to kill myself"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE)
    try:
        yield context
    finally:
        context.close()


def wait_until_loaded(page: Page) -> None:
    """Session confirmed and the conversation so far shown (the page's CSP forbids polling scripts)."""
    page.locator("#chat-log[aria-busy='false']").wait_for(state="attached", timeout=20000)
    page.locator("#chat-send:enabled").wait_for(timeout=20000)


@contextmanager
def clinic_site(html: str) -> Iterator[str]:
    """A page on another origin than the assistant's, like the clinic's own website.

    Served from this machine: Chromium refuses a page from a public address to load from 127.0.0.1.
    """

    class SitePage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SitePage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def open_chat(context: BrowserContext, assistant: Assistant) -> Page:
    page = context.new_page()
    page.goto(f"{assistant.url}/webhooks/webchat/")
    wait_until_loaded(page)
    return page


def wait_for_reply(page: Page, bots_before: int) -> str:
    """The bot messages of one turn, once the typing indicator is gone."""
    page.locator(".msg-bot").nth(bots_before).wait_for(timeout=30000)
    page.locator("#chat-status:empty").wait_for(state="attached", timeout=30000)
    return "\n".join(page.locator(".msg-bot").all_inner_texts()[bots_before:])


def say(page: Page, text: str) -> str:
    bots = page.locator(".msg-bot").count()
    page.get_by_label("Your message").fill(text)
    page.keyboard.press("Enter")
    return wait_for_reply(page, bots)


def transcript(page: Page) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in page.locator(".msg").all_inner_texts()]


def contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour against its (nearest painted) background."""
    colours = page.eval_on_selector(
        selector,
        """el => {
            let bg = el; let style = getComputedStyle(el);
            while (bg && getComputedStyle(bg).backgroundColor === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
            return [style.color, bg ? getComputedStyle(bg).backgroundColor : 'rgb(255, 255, 255)'];
        }""",
    )

    def luminance(rgb: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(c) for c in colours), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_page_answers_a_faq_with_a_typing_indicator_and_no_outside_requests(context: BrowserContext, assistant: Assistant) -> None:
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = open_chat(context, assistant)
    crisis_line = page.get_by_role("note")
    assert crisis_line.is_visible() and "In crisis? Call or text 988" in crisis_line.inner_text()
    page.evaluate(
        """() => { window.statuses = []; const s = document.getElementById('chat-status');
                  new MutationObserver(() => window.statuses.push(s.textContent))
                      .observe(s, {childList: true, subtree: true, characterData: true}); }"""
    )
    answer = say(page, FAQ)
    assert load_clinic()["price_iv_infusion"] in answer
    assert any("typing" in status for status in page.evaluate("window.statuses"))
    assert page.get_by_role("link", name=re.compile("healingmaps.com")).count() >= 1, "sources are links"
    outside = [url for url in requested if not url.startswith(assistant.url) and not url.startswith("data:")]
    assert outside == []


def test_a_button_click_sends_its_choice_and_a_reload_shows_the_conversation(context: BrowserContext, assistant: Assistant) -> None:
    page = open_chat(context, assistant)
    say(page, "hi")
    bots = page.locator(".msg-bot").count()
    page.get_by_role("button", name="Talk to a person").click()
    reply = wait_for_reply(page, bots)
    assert "someone from our clinic to contact you" in reply
    assert page.locator(".choice").count() == 0, "answered buttons are removed"
    before = transcript(page)
    assert any(line.endswith("Talk to a person") for line in before), "the button's title is shown, not its payload"
    page.reload()
    wait_until_loaded(page)
    assert transcript(page) == before
    say(page, "thanks")
    assert page.locator(".msg-user").count() == 3, "the conversation continues after the reload"


def test_the_crisis_reply_shows_the_resources_readable_on_a_phone(context: BrowserContext, assistant: Assistant, tmp_path: Path) -> None:
    page = open_chat(context, assistant)
    say(page, FAQ)
    reply = say(page, CRISIS)
    assert "988" in reply and "741741" in reply
    assert page.get_by_role("button", name="I'm safe right now").is_visible()
    assert page.get_by_role("note").is_visible(), "the crisis line stays on screen"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling on a phone"
    for selector in (".crisis-line", ".msg-bot", ".msg-user", ".choice", "#chat-send", ".chat-header h1"):
        assert contrast(page, selector) >= 4.5, selector
    screenshot = Path(os.environ.get("WEBCHAT_SCREENSHOT") or tmp_path / "webchat.png")
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000


def test_the_chat_works_from_the_keyboard_alone(context: BrowserContext, assistant: Assistant) -> None:
    page = open_chat(context, assistant)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "chat-input":
            break
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Your message"
    bots = page.locator(".msg-bot").count()
    page.keyboard.type("hi")
    page.keyboard.press("Enter")
    wait_for_reply(page, bots)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.className") == "choice"
    focused = page.evaluate("document.activeElement.textContent")
    bots = page.locator(".msg-bot").count()
    page.keyboard.press("Enter")
    wait_for_reply(page, bots)
    assert transcript(page)[-2].endswith(focused)
    assert page.evaluate("document.activeElement.id") == "chat-input", "focus returns to the message box"


def test_a_copied_or_forged_session_id_starts_a_new_conversation(browser: Browser, assistant: Assistant) -> None:
    owner = browser.new_context(viewport=PHONE)
    page = open_chat(owner, assistant)
    say(page, FAQ)
    token = page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')")
    sender_id, issued, _ = token.split(".")
    owner.close()
    for stolen in (sender_id, f"{sender_id}.{issued}.forged-signature", f"{sender_id}.{int(issued) + 60}.{token.split('.')[2]}"):
        intruder = browser.new_context(viewport=PHONE)
        intruder.add_init_script(f"sessionStorage.setItem('{SESSION_KEY}', {stolen!r})")
        page = open_chat(intruder, assistant)
        assert page.locator(".msg").count() == 0, stolen
        assert not page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')").startswith(sender_id + ".")
        say(page, "hi")
        intruder.close()
    user_texts = [e.get("text") for e in assistant.tracker(sender_id)["events"] if e["event"] == "user"]
    assert user_texts == [FAQ]


def test_new_chat_forgets_the_conversation_on_this_screen(context: BrowserContext, assistant: Assistant) -> None:
    page = open_chat(context, assistant)
    say(page, FAQ)
    old = page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')")
    page.get_by_role("button", name="New chat").click()
    wait_until_loaded(page)
    assert page.locator(".msg").count() == 0
    assert page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") != old
    page.reload()
    wait_until_loaded(page)
    assert page.locator(".msg").count() == 0


def test_the_one_line_snippet_puts_the_chat_on_a_clinic_site(context: BrowserContext, assistant: Assistant) -> None:
    snippet = f'<script src="{assistant.url}/webhooks/webchat/embed.js" async></script>'
    page = context.new_page()
    with clinic_site(f"<!doctype html><html lang='en'><title>Clinic</title><h1>Our clinic</h1>{snippet}</html>") as address:
        page.goto(address)
        page.get_by_role("button", name="Chat with us").click()
        assert page.get_by_role("button", name="Close chat").get_attribute("aria-expanded") == "true"
        chat = page.frame_locator("#clinic-chat-frame")
        chat.locator("#chat-send:enabled").wait_for(timeout=20000)
        assert "In crisis? Call or text 988" in chat.get_by_role("note").inner_text()
        chat.get_by_label("Your message").fill(FAQ)
        chat.get_by_label("Your message").press("Enter")
        chat.locator(".msg-bot").first.wait_for(timeout=30000)
        assert load_clinic()["price_iv_infusion"] in chat.locator(".msg-bot").first.inner_text()
