"""The console's HTTP side: routes, login, CSRF, security headers and page rendering.

aiohttp (already in the venv through Rasa) serves plain HTML from Jinja2
templates with autoescaping on, so anything a patient typed is shown as text.
There is no JavaScript: the Content-Security-Policy forbids scripts outright.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from aiohttp import web
from markupsafe import Markup, escape
from multidict import MultiDictProxy
from sqlalchemy.engine import Engine

from bot import storage
from bot.console import accounts, audit, exports, inbox, insights, sessions, takeover
from bot.console import alerts as alert_store
from bot.console import intakes as intake_store
from bot.console.transcripts import channel_kind, kb_titles, transcript
from bot.settings import Settings

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
LOGIN_CSRF_COOKIE = "console_login_csrf"
PUBLIC_PATHS = {"/login", "/static/console.css"}
MAX_MESSAGE_LENGTH = 1600  # Twilio's limit for one SMS body
MAX_NOTE_LENGTH = 5000
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
RASA = web.AppKey("rasa", takeover.RasaApi)
WATCHER = web.AppKey("watcher", asyncio.Task)


# --- Rendering -------------------------------------------------------------------------------


def when(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def ago(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    seconds = max(0, int(time.time() - timestamp))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def chat_text(text: str) -> Markup:
    """A message as the web chat shows it: escaped first, then line breaks and **bold** restored."""
    escaped = str(escape(text))
    parts = escaped.split("**")
    html = "".join(f"<strong>{part}</strong>" if index % 2 else part for index, part in enumerate(parts)) if len(parts) % 2 else escaped
    return Markup(html.replace("\n", "<br>"))


def templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    environment.filters.update(when=when, ago=ago, chat=chat_text, quote=lambda value: quote(str(value), safe=""))
    environment.globals.update(channel_kind=channel_kind, statuses=inbox.STATUSES, channels=inbox.CHANNELS)
    return environment


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    session: sessions.Session | None = request.get("session")
    counts = None
    if session:
        with request.app[ENGINE].connect() as connection:
            counts = inbox.waiting_counts(connection)
    html = request.app[TEMPLATES].get_template(name).render(session=session, counts=counts, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


# --- Middleware ------------------------------------------------------------------------------


def _ip(request: web.Request) -> str:
    return request.remote or ""


def _safe_next(target: str | None) -> str:
    """Only a path on this console: never an absolute URL an attacker could send staff to."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def posted_form(request: web.Request) -> MultiDictProxy[str | bytes | web.FileField]:
    """The posted form. A body that is not a readable form (bad UTF-8, broken multipart) is a 400, not a 500."""
    try:
        return await request.post()
    except (ValueError, AssertionError):  # aiohttp raises UnicodeDecodeError, or asserts on a broken multipart body
        raise web.HTTPBadRequest(text="That form could not be read. Go back, reload the page and try again.") from None


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = error_page(request, 404, "There is no such page.")
    except web.HTTPMethodNotAllowed:
        response = error_page(request, 405, "That is not allowed here.")
    except web.HTTPException as exception:  # redirects
        exception.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


@web.middleware
async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but the login form needs a live session; every POST needs that session's CSRF token."""
    if request.path in PUBLIC_PATHS:
        return await handler(request)
    engine, settings = request.app[ENGINE], request.app[SETTINGS]
    token = request.cookies.get(sessions.COOKIE_NAME, "")
    session, expired_for = sessions.resume(engine, token, settings.console_idle_minutes * 60) if token else (None, None)
    if session is None:
        if expired_for:
            audit.record(engine, expired_for, "logout_inactive", ip=_ip(request))
        if request.method != "GET":
            return error_page(request, 403, "Your session has ended. Log in again.")
        params = {"next": request.path_qs}
        if expired_for:
            params["expired"] = "1"
        raise web.HTTPFound(f"/login?{urlencode(params)}")
    request["session"] = session
    if request.method == "POST":
        form = await posted_form(request)
        if not sessions.csrf_matches(session.csrf_token, form.get("csrf")):
            audit.record(engine, session.email, "csrf_rejected", target=request.path, ip=_ip(request))
            return error_page(request, 403, "This form has expired. Go back, reload the page and try again.")
    return await handler(request)


def _audit(request: web.Request, action: str, target: str = "", detail: str = "") -> None:
    audit.record(request.app[ENGINE], request["session"].email, action, target=target, detail=detail, ip=_ip(request))


# --- Login -----------------------------------------------------------------------------------


def _login_page(request: web.Request, status: int = 200, message: str = "", next_page: str | None = None) -> web.Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    notice = ""
    if request.query.get("expired"):
        notice = "You were logged out after a period of inactivity."
    elif request.query.get("bye"):
        notice = "You are logged out."
    next_page = _safe_next(next_page or request.query.get("next"))
    response = render(request, "login.html", status=status, csrf=csrf, message=message, notice=notice, next=next_page)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="Lax", secure=request.app[SETTINGS].console_cookie_secure, path="/login"
    )
    return response


async def login_form(request: web.Request) -> web.Response:
    return _login_page(request)


async def login(request: web.Request) -> web.Response:
    engine, settings = request.app[ENGINE], request.app[SETTINGS]
    form = await posted_form(request)
    next_page = str(form.get("next", ""))
    if not sessions.csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
        return _login_page(request, 403, "The login form expired. Please try again.", next_page)
    email = str(form.get("email", "")).strip().lower()[:255]
    result = await accounts.authenticate(engine, email, str(form.get("password", "")))
    if not result.ok:
        action = "login_locked" if result.reason == "locked" else "login_failed"
        audit.record(engine, email or "(empty)", action, ip=_ip(request))
        if result.reason == "locked":
            minutes = accounts.LOCKOUT_SECONDS // 60
            message = f"Too many failed attempts. This account is locked; try again in {minutes} minutes."
            return _login_page(request, 429, message, next_page)
        return _login_page(request, 401, "Wrong e-mail or password.", next_page)
    token = sessions.start(engine, result.user)
    audit.record(engine, email, "login", ip=_ip(request))
    response = web.HTTPFound(_safe_next(next_page))
    response.set_cookie(sessions.COOKIE_NAME, token, httponly=True, samesite="Lax", secure=settings.console_cookie_secure, path="/")
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


async def logout(request: web.Request) -> web.Response:
    sessions.end(request.app[ENGINE], request["session"])
    _audit(request, "logout")
    response = web.HTTPFound("/login?bye=1")
    response.del_cookie(sessions.COOKIE_NAME, path="/")
    raise response


# --- Pages -----------------------------------------------------------------------------------


async def inbox_page(request: web.Request) -> web.Response:
    filters = inbox.Filters.from_query(dict(request.query))
    with request.app[ENGINE].connect() as connection:
        rows, total = inbox.build(connection, filters)
    # Search terms can be a patient's name or phone: the audit log says that a search ran, not what it was.
    detail = f"status={filters.status or 'any'} channel={filters.channel or 'any'} search={'yes' if filters.q else 'no'}"
    _audit(request, "view_inbox", detail=detail)
    return render(request, "inbox.html", rows=rows, total=total, filters=filters, limit=inbox.LIMIT)


def _sender(request: web.Request) -> str:
    return request.match_info["sender_id"]


async def conversation_page(request: web.Request) -> web.Response:
    sender_id = _sender(request)
    engine = request.app[ENGINE]
    with engine.connect() as connection:
        turns = transcript(connection, sender_id)
        conversation_alerts = alert_store.for_conversation(connection, sender_id)
        conversation_intakes = intake_store.for_sender(connection, sender_id)
        active = takeover.active_for(connection, sender_id)
    if not (turns or conversation_alerts or conversation_intakes):
        return error_page(request, 404, "There is no conversation with that id.")
    _audit(request, "view_conversation", target=sender_id)
    channel = next((turn.channel for turn in reversed(turns) if turn.kind == "user" and turn.channel), None)
    return render(
        request,
        "conversation.html",
        sender_id=sender_id,
        turns=turns,
        alerts=conversation_alerts,
        intakes=conversation_intakes,
        active=active,
        channel=channel,
        can_push=channel in takeover.PUSH_CHANNELS,
        rasa_enabled=request.app[RASA].enabled,
        flash=request.query.get("flash", ""),
        max_message=MAX_MESSAGE_LENGTH,
        idle_minutes=takeover.IDLE_HANDBACK_SECONDS // 60,
    )


def _back_to_conversation(sender_id: str, flash: str = "", anchor: str = "") -> web.HTTPFound:
    query = f"?{urlencode({'flash': flash})}" if flash else ""
    return web.HTTPFound(f"/conversations/{quote(sender_id, safe='')}{query}{anchor}")


async def takeover_start(request: web.Request) -> web.Response:
    sender_id, staff = _sender(request), request["session"].email
    try:
        started = await takeover.start(request.app[ENGINE], request.app[RASA], sender_id, staff)
    except takeover.RasaUnavailable as error:
        raise _back_to_conversation(sender_id, str(error)) from None
    if started:
        _audit(request, "takeover_start", target=sender_id)
    raise _back_to_conversation(sender_id, "" if started else "Someone is already in this conversation.", "#reply")


async def takeover_say(request: web.Request) -> web.Response:
    sender_id, staff = _sender(request), request["session"].email
    text = str((await posted_form(request)).get("text", "")).strip()
    if not text or len(text) > MAX_MESSAGE_LENGTH:
        raise _back_to_conversation(sender_id, f"Write a message of 1 to {MAX_MESSAGE_LENGTH} characters.", "#reply")
    with request.app[ENGINE].connect() as connection:
        if not takeover.active_for(connection, sender_id):
            raise _back_to_conversation(sender_id, "Take over the conversation before writing to the patient.")
    try:
        await takeover.say(request.app[ENGINE], request.app[RASA], sender_id, staff, text)
    except takeover.RasaUnavailable as error:
        raise _back_to_conversation(sender_id, f"Not sent: {error}", "#reply") from None
    _audit(request, "takeover_message", target=sender_id, detail=f"{len(text)} characters")
    raise _back_to_conversation(sender_id, anchor="#reply")


async def takeover_end(request: web.Request) -> web.Response:
    sender_id = _sender(request)
    try:
        await takeover.hand_back(request.app[ENGINE], request.app[RASA], sender_id, request["session"].email)
    except takeover.RasaUnavailable as error:
        raise _back_to_conversation(sender_id, str(error)) from None
    _audit(request, "takeover_end", target=sender_id)
    raise _back_to_conversation(sender_id, "The assistant answers this conversation again.")


def _alert_or_404(request: web.Request) -> dict[str, Any]:
    with request.app[ENGINE].connect() as connection:
        alert = alert_store.get(connection, int(request.match_info["alert_id"]))
    if alert is None:
        raise web.HTTPNotFound()
    return alert


async def alert_link(request: web.Request) -> web.Response:
    """Where the alert e-mail and webhook point: the conversation, at that alert."""
    alert = _alert_or_404(request)
    _audit(request, "open_alert", target=str(alert["id"]))
    raise _back_to_conversation(alert["sender_id"], anchor=f"#alert-{alert['id']}")


async def alert_acknowledge(request: web.Request) -> web.Response:
    alert = _alert_or_404(request)
    staff = request["session"].email
    if alert_store.acknowledge(request.app[ENGINE], alert["id"], staff):
        _audit(request, "acknowledge_alert", target=str(alert["id"]), detail=f"conversation {alert['sender_id']}")
        flash = f"Alert #{alert['id']} acknowledged by {staff}."
    else:
        flash = f"Alert #{alert['id']} was already acknowledged."
    raise _back_to_conversation(alert["sender_id"], flash, f"#alert-{alert['id']}")


def _intake_or_404(request: web.Request) -> intake_store.Intake:
    with request.app[ENGINE].connect() as connection:
        intake = intake_store.load(connection, int(request.match_info["intake_id"]))
    if intake is None:
        raise web.HTTPNotFound()
    return intake


async def intake_page(request: web.Request) -> web.Response:
    intake = _intake_or_404(request)
    _audit(request, "view_intake", target=str(intake.id))
    return render(request, "intake.html", intake=intake, flash=request.query.get("flash", ""), max_note=MAX_NOTE_LENGTH)


async def intake_print(request: web.Request) -> web.Response:
    intake = _intake_or_404(request)
    _audit(request, "export_intake", target=str(intake.id), detail="printable page")
    return render(request, "intake_print.html", intake=intake, printed_at=time.time())


async def intake_csv(request: web.Request) -> web.Response:
    intake = _intake_or_404(request)
    _audit(request, "export_intake", target=str(intake.id), detail="csv")
    return web.Response(
        text=exports.to_csv(intake),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="intake-{intake.id}.csv"'},
    )


async def intake_fhir(request: web.Request) -> web.Response:
    intake = _intake_or_404(request)
    _audit(request, "export_intake", target=str(intake.id), detail="fhir")
    return web.Response(
        text=json.dumps(exports.to_fhir(intake), indent=2, ensure_ascii=False),
        content_type="application/fhir+json",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="intake-{intake.id}.fhir.json"'},
    )


async def intake_review(request: web.Request) -> web.Response:
    intake = _intake_or_404(request)
    intake_store.mark_reviewed(request.app[ENGINE], intake.id, request["session"].email)
    _audit(request, "review_intake", target=str(intake.id))
    raise web.HTTPFound(f"/intakes/{intake.id}?{urlencode({'flash': 'Marked as reviewed.'})}")


async def intake_note(request: web.Request) -> web.Response:
    intake = _intake_or_404(request)
    body = str((await posted_form(request)).get("note", "")).strip()
    if not body or len(body) > MAX_NOTE_LENGTH:
        flash = f"Write a note of 1 to {MAX_NOTE_LENGTH} characters."
    else:
        intake_store.add_note(request.app[ENGINE], intake.id, request["session"].email, body)
        _audit(request, "add_note", target=str(intake.id))
        flash = "Note added."
    raise web.HTTPFound(f"/intakes/{intake.id}?{urlencode({'flash': flash})}#notes")


async def insights_page(request: web.Request) -> web.Response:
    days = int(request.query["days"]) if request.query.get("days") in {"7", "30", "90"} else insights.DEFAULT_DAYS
    with request.app[ENGINE].connect() as connection:
        questions = insights.unanswered(connection, days)
        daily = insights.per_day(connection, days)
    _audit(request, "view_insights", detail=f"{days} days")
    return render(request, "insights.html", questions=questions, daily=daily, days=days)


async def audit_page(request: web.Request) -> web.Response:
    if not request["session"].is_admin:
        _audit(request, "forbidden", target=request.path)
        return error_page(request, 403, "Only administrators can read the audit log.")
    actor = request.query.get("actor", "")[:255]
    action = request.query.get("action", "")[:64]
    entries = audit.entries(request.app[ENGINE], actor=actor, action=action)
    _audit(request, "view_audit_log")
    return render(request, "audit.html", entries=entries, actor=actor, action=action)


async def stylesheet(request: web.Request) -> web.FileResponse:
    return web.FileResponse(HERE / "static" / "console.css", headers={"Content-Type": "text/css"})


# --- Application -----------------------------------------------------------------------------


async def _start_watcher(app: web.Application) -> None:
    if app[RASA].enabled:
        app[WATCHER] = asyncio.create_task(takeover.watch_takeovers(app[ENGINE], app[RASA]))


async def _stop_watcher(app: web.Application) -> None:
    if WATCHER in app:
        app[WATCHER].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app[WATCHER]


def create_app(settings: Settings) -> web.Application:
    storage.create_tables(settings.database_url)
    app = web.Application(middlewares=[security_headers, require_login], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[ENGINE] = storage.engine(settings.database_url)
    app[TEMPLATES] = templates()
    app[RASA] = takeover.RasaApi(f"http://{settings.rasa_host}:{settings.rasa_port}", settings.rasa_token)
    app.on_startup.append(_start_watcher)
    app.on_cleanup.append(_stop_watcher)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/static/console.css", stylesheet)
    app.router.add_get("/", inbox_page)
    app.router.add_get("/conversations/{sender_id}", conversation_page)
    app.router.add_post("/conversations/{sender_id}/takeover", takeover_start)
    app.router.add_post("/conversations/{sender_id}/messages", takeover_say)
    app.router.add_post("/conversations/{sender_id}/handback", takeover_end)
    app.router.add_get(r"/alerts/{alert_id:\d+}", alert_link)
    app.router.add_post(r"/alerts/{alert_id:\d+}/acknowledge", alert_acknowledge)
    app.router.add_get(r"/intakes/{intake_id:\d+}", intake_page)
    app.router.add_get(r"/intakes/{intake_id:\d+}/print", intake_print)
    app.router.add_get(r"/intakes/{intake_id:\d+}/export.csv", intake_csv)
    app.router.add_get(r"/intakes/{intake_id:\d+}/export.fhir.json", intake_fhir)
    app.router.add_post(r"/intakes/{intake_id:\d+}/review", intake_review)
    app.router.add_post(r"/intakes/{intake_id:\d+}/notes", intake_note)
    app.router.add_get("/insights", insights_page)
    app.router.add_get("/audit", audit_page)
    kb_titles()  # read the knowledge base and the intake questions once at start, not on the first page
    intake_store.catalogue_labels()
    return app


def serve(settings: Settings) -> None:
    """`python -m bot console`: the access log stays off because URLs can carry search terms."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger.info("Staff console on http://%s:%s", settings.console_host, settings.console_port)
    web.run_app(create_app(settings), host=settings.console_host, port=settings.console_port, access_log=None, print=None)
