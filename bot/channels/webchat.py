"""The web chat: a page the assistant serves, a one-line embed script, and socket.io with signed sessions.

Rasa's socketio channel, with `session_persistence` on, makes whatever
`session_id` a browser sends the sender id, so anyone who learns a sender id
(from a log, an alert, a shared screen) could resume that conversation; and
with python-socketio 5.x its un-awaited `enter_room` never joins the room, so
replies to a resumed session are lost. This channel issues session tokens
itself (`bot.channels.signing`): a token names its sender id and carries the
server's signature and issue time; a missing, forged or expired token gets a
new conversation. A valid token is renewed on every visit and the page is sent
the conversation so far, so a reload shows the history.

Served at `/webhooks/webchat/` (page), `/webhooks/webchat/embed.js` (snippet)
and `/webhooks/webchat/assets/<file>`; socket.io at `/socket.io/`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from string import Template
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels import FAILURE_REPLY
from bot.channels.incoming import DEFAULT_MAX_MESSAGE_CHARS, DEFAULT_MAX_REQUEST_BYTES, agent_parser, clean, screen
from bot.channels.signing import issue_session, load_secret, verify_session
from bot.knowledge import load_clinic
from bot.settings import ROOT

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = ROOT / "build" / "webchat"  # socket.io-client, copied from npm by `make webchat`
ASSETS = {"webchat.js": STATIC_DIR, "webchat.css": STATIC_DIR, "socket.io.min.js": VENDOR_DIR}
MIME_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
TURN_DONE_EVT = "bot_turn_done"  # ends the page's typing indicator
HISTORY_EVT = "history"


def _quick_replies(buttons: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    return [
        {"content_type": "text", "title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
        for b in buttons or []
    ]


def conversation_history(events: list[Event]) -> list[dict[str, Any]]:
    """What the page shows again after a reload: the texts, and the buttons still open.

    A button press is stored as its payload (`/crisis_safe`); it is shown as the
    button's title, like when it was pressed. Only the bot messages after the
    person's last message keep their buttons.
    """
    messages: list[dict[str, Any]] = []
    buttons: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, BotUttered):
            buttons = event.data.get("buttons") or event.data.get("quick_replies") or []
            if event.text or buttons:
                messages.append({"sender": "bot", "text": event.text or "", "quick_replies": _quick_replies(buttons)})
        elif isinstance(event, UserUttered) and event.text:
            text: str | None = event.text
            if event.text.startswith("/"):
                text = next((str(b.get("title")) for b in buttons if b.get("payload") == event.text), None)
            if text:
                messages.append({"sender": "user", "text": text})
    last_user = max((i for i, m in enumerate(messages) if m["sender"] == "user"), default=-1)
    for message in messages[: last_user + 1]:
        message.pop("quick_replies", None)
    return messages


def page_headers(embed_origins: str) -> dict[str, str]:
    """No third-party anything: scripts, styles and the socket come from this server only."""
    ancestors = f"'self' {embed_origins}" if embed_origins.strip() else "*"
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            f"base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


class WebChatOutput(SocketIOOutput):
    """One socket.io message per response (Rasa's splits paragraphs), so live and replayed look the same."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text, "quick_replies": _quick_replies(buttons)})


class _WebChatBlueprint(SocketBlueprint):
    """Keeps the Sanic app, whose agent's tracker store holds the history to replay."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        credentials = credentials or {}
        return cls(
            secret=credentials.get("secret") or "",
            session_hours=float(credentials.get("session_hours") or 12),
            embed_origins=credentials.get("embed_origins") or "",
            socketio_path=credentials.get("socketio_path") or "/socket.io",
            max_message_chars=int(credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS),
            max_request_bytes=int(credentials.get("max_request_bytes") or DEFAULT_MAX_REQUEST_BYTES),
        )

    def __init__(
        self,
        secret: str = "",
        session_hours: float = 12,
        embed_origins: str = "",
        socketio_path: str = "/socket.io",
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        super().__init__(session_persistence=True, socketio_path=socketio_path)
        self.max_message_chars = max_message_chars
        # socket.io drops a connection that sends a bigger frame; the page checks first (bot/channels/static/webchat.js).
        self.max_request_bytes = max_request_bytes
        self.secret = load_secret(secret)
        self.session_seconds = session_hours * 3600
        self.headers = page_headers(embed_origins)
        self.page = Template((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
        self.clinic_name = load_clinic().get("clinic_name", "")
        if not (VENDOR_DIR / "socket.io.min.js").exists():
            logger.warning("The web chat page needs %s; run `make webchat`.", VENDOR_DIR / "socket.io.min.js")

    def get_output_channel(self) -> WebChatOutput | None:
        return WebChatOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> _WebChatBlueprint:
        # Origins are not checked: a session is proven by its signed token, never by a cookie.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=self.max_request_bytes)
        self.sio = sio
        webchat = _WebChatBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            assets = request.path.rstrip("/") + "/assets/"
            body = self.page.substitute(
                clinic_name=html.escape(self.clinic_name), assets=html.escape(assets), max_bytes=self.max_request_bytes
            )
            return response.html(body, headers=self.headers)

        @webchat.route("/embed.js", methods=["GET"])
        async def embed(_: Request) -> HTTPResponse:
            return await response.file(STATIC_DIR / "embed.js", mime_type=MIME_TYPES[".js"], headers={"Cache-Control": "max-age=300"})

        @webchat.route("/assets/<name>", methods=["GET"])
        async def asset(_: Request, name: str) -> HTTPResponse:
            path = ASSETS[name] / name if name in ASSETS else None
            if path is None or not path.exists():
                return response.text("Not found.", status=404)
            return await response.file(path, mime_type=MIME_TYPES[path.suffix], headers={"Cache-Control": "max-age=300"})

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            claimed = data.get("session_id") if isinstance(data, dict) else None
            resumed = verify_session(self.secret, claimed, self.session_seconds)
            if claimed and not resumed:
                logger.info("A web chat session token was not accepted; a new conversation starts.")
            previous = (await sio.get_session(sid, namespace=self.namespace)).get("sender_id")
            token = issue_session(self.secret, resumed)
            sender_id = token.split(".", 1)[0]
            if previous and previous != sender_id:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            await sio.save_session(sid, {"sender_id": sender_id}, namespace=self.namespace)
            await sio.enter_room(sid, sender_id, namespace=self.namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)
            history = await self.history(webchat.ctx.app, sender_id) if resumed else []
            await sio.emit(HISTORY_EVT, history, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            sender_id = (await sio.get_session(sid, namespace=self.namespace)).get("sender_id")
            text = data.get("message") if isinstance(data, dict) else None
            if not sender_id or not isinstance(text, str):
                logger.warning("Ignored a web chat message without a confirmed session or text.")
                return
            output = WebChatOutput(sio, self.bot_message_evt)
            try:
                screened = await screen(clean(text), self.max_message_chars, agent_parser(webchat.ctx.app))
                if screened.text is not None:
                    message = UserMessage(screened.text, output, sender_id, parse_data=screened.parse_data, input_channel=self.name())
                    await on_new_message(message)
                if screened.note:
                    await output.send_text_message(sender_id, screened.note)
            except Exception:
                logger.exception("The assistant failed on a web chat message from %s.", sender_id)
                await output.send_text_message(sender_id, FAILURE_REPLY)
            finally:
                await sio.emit(TURN_DONE_EVT, room=sender_id, namespace=self.namespace)

        return webchat

    @staticmethod
    async def history(app: Sanic, sender_id: str) -> list[dict[str, Any]]:
        tracker = await app.ctx.agent.tracker_store.retrieve(sender_id)
        return conversation_history(list(tracker.events)) if tracker else []
