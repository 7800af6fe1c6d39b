"""The staff console keeps health information behind a login, as a staff member and an attacker would find it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

from bot import storage
from bot.console import accounts
from bot.settings import ROOT
from tests.console_support import PASSWORD, Console, Staff, add_alert, add_events, add_intake, running_console


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with running_console(tmp_path) as running:
        yield running


def login_redirect(url: str) -> dict[str, list[str]]:
    """The query of the login page a visitor was sent to (fails if they were sent elsewhere)."""
    parts = urlsplit(url)
    assert parts.path == "/login", url
    return parse_qs(parts.query)


def seed(console: Console) -> dict[str, int]:
    add_events(console.engine, "patient-1", [{"user": "I want to kill myself", "intent": "crisis_disclosure"}])
    return {"alert": add_alert(console.engine, "patient-1"), "intake": add_intake(console.engine, "patient-1")}


def test_every_page_and_export_refuses_anonymous_visitors(console: Console) -> None:
    ids = seed(console)
    pages = [
        "/", "/?q=Jordan", "/conversations/patient-1", f"/alerts/{ids['alert']}", f"/intakes/{ids['intake']}",
        f"/intakes/{ids['intake']}/print", f"/intakes/{ids['intake']}/export.csv", f"/intakes/{ids['intake']}/export.fhir.json",
        "/insights", "/audit",
    ]  # fmt: skip
    forms = [
        f"/alerts/{ids['alert']}/acknowledge", f"/intakes/{ids['intake']}/review", f"/intakes/{ids['intake']}/notes",
        "/conversations/patient-1/takeover", "/conversations/patient-1/messages", "/conversations/patient-1/handback", "/logout",
    ]  # fmt: skip
    for page in pages:
        response = requests.get(console.url + page, allow_redirects=False, timeout=10)
        assert response.status_code == 302, page
        assert response.headers["Location"].startswith("/login?next="), page
        assert "kill myself" not in response.text and "Jordan" not in response.text
    for form in forms:
        response = requests.post(console.url + form, data={"csrf": "guess", "note": "x"}, allow_redirects=False, timeout=10)
        assert response.status_code == 403, form
    with console.engine.connect() as connection:
        assert connection.execute(sa.select(storage.alert_acknowledgements)).first() is None
        assert connection.execute(sa.select(storage.staff_notes)).first() is None
        assert connection.execute(sa.select(storage.intakes.c.status)).scalar() == "submitted"


def test_login_then_logout_ends_the_session(console: Console) -> None:
    email = console.add_user("dana@clinic.example")
    staff = Staff(console.url)
    inbox = staff.login(email)
    assert inbox.status_code == 200 and "Inbox" in inbox.text and email in inbox.text
    cookie = staff.cookies.get("console_session")
    assert staff.submit("/logout").url.endswith("/login?bye=1")
    assert "You are logged out" in staff.get("/login?bye=1").text
    replay = requests.get(console.url + "/", cookies={"console_session": cookie}, allow_redirects=False, timeout=10)
    assert replay.status_code == 302, "the old session cookie must not work after logout"
    assert [e["action"] for e in console.audit(email)] == ["login", "view_inbox", "logout"]


def test_wrong_password_is_refused(console: Console) -> None:
    email = console.add_user("dana@clinic.example")
    staff = Staff(console.url)
    response = staff.login(email, "not the password")
    assert response.status_code == 401 and "Wrong e-mail or password" in response.text
    assert staff.get("/", allow_redirects=False).status_code == 302
    unknown = Staff(console.url).login("nobody@clinic.example", PASSWORD)
    assert unknown.status_code == 401 and "Wrong e-mail or password" in unknown.text
    assert [e["action"] for e in console.audit()] == ["login_failed", "login_failed"]


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(tmp_path: Path) -> None:
    for secure in ("false", "true"):
        (tmp_path / secure).mkdir()
        with running_console(tmp_path / secure, CONSOLE_COOKIE_SECURE=secure) as console:
            email = console.add_user("dana@clinic.example")
            form = requests.get(console.url + "/login", timeout=10)
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            # A browser would not send a Secure cookie back over plain http; send it by hand to see the session cookie.
            response = requests.post(
                console.url + "/login",
                data={"email": email, "password": PASSWORD, "csrf": token},
                cookies={"console_login_csrf": token},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code == 302
            cookies = response.raw.headers.getlist("Set-Cookie")
            session_cookie = next(c for c in cookies if c.startswith("console_session="))
            assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
            assert ("Secure" in session_cookie) is (secure == "true")
            assert ("Secure" in form.headers["Set-Cookie"]) is (secure == "true")


def test_forms_without_the_session_csrf_token_are_rejected(console: Console) -> None:
    ids = seed(console)
    email = console.add_user("dana@clinic.example")
    staff = Staff(console.url)
    staff.login(email)
    for token in ("", "forged-token"):
        response = staff.post(f"/alerts/{ids['alert']}/acknowledge", data={"csrf": token})
        assert response.status_code == 403 and "This form has expired" in response.text
    with console.engine.connect() as connection:
        assert connection.execute(sa.select(storage.alert_acknowledgements)).first() is None
    assert staff.submit(f"/alerts/{ids['alert']}/acknowledge").status_code == 200
    actions = [e["action"] for e in console.audit(email)]
    assert actions.count("csrf_rejected") == 2 and "acknowledge_alert" in actions
    login_without_form = Staff(console.url).post("/login", data={"email": email, "password": PASSWORD})
    assert login_without_form.status_code == 403


def test_repeated_wrong_passwords_slow_down_then_lock_the_account(console: Console) -> None:
    email = console.add_user("dana@clinic.example")
    staff = Staff(console.url)
    started = time.monotonic()
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        assert staff.login(email, "guess").status_code == 401
    locked = staff.login(email, "guess")
    assert locked.status_code == 429 and "locked" in locked.text
    assert time.monotonic() - started >= accounts.MAX_FAILED_LOGINS * accounts.FAILED_LOGIN_DELAY_SECONDS
    still_locked = staff.login(email, PASSWORD)
    assert still_locked.status_code == 429, "the right password must not open a locked account"
    assert staff.get("/", allow_redirects=False).status_code == 302
    actions = [e["action"] for e in console.audit(email)]
    assert actions == ["login_failed"] * 4 + ["login_locked"] * 2
    with console.engine.begin() as connection:  # the lock runs out
        connection.execute(sa.update(storage.staff_users).values(locked_until=time.time() - 1))
    assert staff.login(email).status_code == 200


def test_inactivity_logs_out(console: Console) -> None:
    email = console.add_user("dana@clinic.example")
    staff = Staff(console.url)
    staff.login(email)
    idle = console.settings.console_idle_minutes * 60
    with console.engine.begin() as connection:
        connection.execute(sa.update(storage.staff_sessions).values(last_seen_at=time.time() - idle - 5))
    response = staff.get("/insights")
    assert login_redirect(response.url) == {"next": ["/insights"], "expired": ["1"]}
    assert "logged out after a period of inactivity" in response.text
    assert console.audit(email)[-1]["action"] == "logout_inactive"


def test_only_admins_read_the_audit_log_which_records_who_did_what(console: Console) -> None:
    ids = seed(console)
    nurse, admin = console.add_user("nurse@clinic.example"), console.add_user("admin@clinic.example", role="admin")
    staff = Staff(console.url)
    staff.login(nurse)
    staff.get("/conversations/patient-1")
    staff.get(f"/intakes/{ids['intake']}/export.csv")
    refused = staff.get("/audit")
    assert refused.status_code == 403 and "Only administrators" in refused.text
    boss = Staff(console.url)
    boss.login(admin)
    page = boss.get("/audit?actor=nurse@clinic.example").text
    for action in ("login", "view_conversation", "export_intake", "forbidden"):
        assert f"<td>{action}</td>" in page
    assert "<td>patient-1</td>" in page and f"<td>{ids['intake']}</td>" in page


def test_audit_log_is_append_only(console: Console) -> None:
    console.add_user("dana@clinic.example")
    Staff(console.url).login("dana@clinic.example")
    with console.engine.connect() as connection:
        for statement in (sa.update(storage.audit_log).values(actor="someone else"), sa.delete(storage.audit_log)):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                connection.execute(statement)
    assert [(e["actor"], e["action"]) for e in console.audit()] == [("dana@clinic.example", "login"), ("dana@clinic.example", "view_inbox")]
    changes = re.compile(r"(update|delete)\(\s*(storage\.)?audit_log\b|audit_log\.(update|delete)\(")
    offenders = [str(path) for path in (ROOT / "bot").rglob("*.py") if changes.search(path.read_text(encoding="utf-8"))]
    assert offenders == [], "no code may change or delete audit entries"


def test_staff_accounts_are_created_from_the_command_line(tmp_path: Path, console: Console) -> None:
    env = console.settings.process_env()
    command = [sys.executable, "-m", "bot", "staff-user", "Lee@Clinic.example", "--role", "admin"]
    created = subprocess.run(command, input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0 and "Created admin account lee@clinic.example" in created.stdout
    too_short = subprocess.run(command[:-2], input="short\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert too_short.returncode == 1 and "at least 12 characters" in too_short.stderr
    assert Staff(console.url).login("lee@clinic.example").status_code == 200
    with console.engine.connect() as connection:
        stored = connection.execute(sa.select(storage.staff_users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_alert_links_lead_to_the_conversation_after_login(console: Console) -> None:
    ids = seed(console)
    email = console.add_user("dana@clinic.example")
    staff = Staff(console.url)
    response = staff.get(f"/alerts/{ids['alert']}")
    assert login_redirect(response.url) == {"next": [f"/alerts/{ids['alert']}"]}
    landed = staff.login(email, next_page=f"/alerts/{ids['alert']}")
    assert landed.url.endswith(f"/conversations/patient-1#alert-{ids['alert']}")
    assert f'id="alert-{ids["alert"]}"' in landed.text
    assert Staff(console.url).login(email, next_page="//evil.example/").url == console.url + "/"


def test_pages_forbid_scripts_and_caching(console: Console) -> None:
    response = requests.get(console.url + "/login", timeout=10)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Frame-Options"] == "DENY"


def test_console_and_channels_load_without_rasas_nlu_stack() -> None:
    # The console runs in its own process and the channels load before the model: neither should
    # pay for spaCy or Rasa's NLU to learn the crisis intent's name.
    probe = "import sys, bot.console.transcripts, bot.channels.incoming; print(sorted({'spacy', 'rasa.nlu'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_console_reads_the_crisis_slot_the_domain_declares() -> None:
    from bot.console import transcripts

    domain = (ROOT / "domain.yml").read_text(encoding="utf-8")
    assert f"  {transcripts.CRISIS_SLOT}:" in domain
