"""`POST /webhooks/rest/webhook`: Rasa's REST channel with its request checked and messages size-limited.

Rasa's own `rest` channel answers 500 to a JSON body that is not an object or
is empty, answers 200 with no reply to a missing or non-text message (the
person hears nothing), files every request without a `sender` under the one
shared conversation "default", accepts any `input_channel` a client claims
(so a web client could pass as SMS) and any `sender` length (PostgreSQL's
tracker store keeps 255 characters). This channel, under the same name and URL:

- answers 400 with a JSON `{"error": ...}` saying what is wrong, for a body
  that is not a JSON object, a missing or malformed `sender`, a `message` that
  is missing or not text, or `metadata` that is not an object;
- answers 413 to a body over `MAX_REQUEST_BYTES`. This channel is always on,
  so it sets that limit for the whole Rasa server (Sanic's default: 100 MB),
  web chat and Rasa's HTTP API included; Sanic refuses a bigger body before
  any handler reads it. (Not through Sanic's environment variable: the action
  server, also Sanic, receives the whole domain and tracker on every call.)
- passes the message through `bot.channels.incoming` (control characters
  dropped; over `MAX_MESSAGE_CHARS`, a kind reply and the crisis check);
- always reports itself as `rest`.

Streaming (`?stream=true` in Rasa's channel) is not offered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import FAILURE_REPLY
from bot.channels.incoming import DEFAULT_MAX_MESSAGE_CHARS, DEFAULT_MAX_REQUEST_BYTES, agent_parser, clean, screen

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class BadRequest(ValueError):
    """The request cannot be a message; the text says why, for the integrator."""


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str
    metadata: dict[str, Any] | None


def read_request(body: bytes) -> RestMessage:
    """The sender, text and metadata of a request body, or BadRequest saying what is wrong with it."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise BadRequest('The body must be JSON: {"sender": "<your id for the person>", "message": "<text>"}.') from None
    if not isinstance(data, dict):
        raise BadRequest('The body must be a JSON object: {"sender": "<your id for the person>", "message": "<text>"}.')
    sender = data.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest('"sender" is required: a stable, opaque id for the person, as text.')
    if len(sender) > MAX_SENDER_CHARS or not sender.isprintable() or sender != sender.strip():
        raise BadRequest(f'"sender" must be at most {MAX_SENDER_CHARS} printable characters, without surrounding spaces.')
    text = data.get("message")
    if not isinstance(text, str):
        raise BadRequest('"message" is required and must be text (a button\'s payload is text too).')
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata", when given, must be a JSON object.')
    return RestMessage(sender, clean(text), metadata)


class _BodyLimitBlueprint(Blueprint):
    """Sets the server's request body limit when Rasa registers the channel, before the server starts."""

    def __init__(self, name: str, import_name: str, max_request_bytes: int) -> None:
        super().__init__(name, import_name)
        self.ctx.max_request_bytes = max_request_bytes

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        app.config.REQUEST_MAX_SIZE = self.ctx.max_request_bytes
        super().register(app, options)


class RestChannel(InputChannel):
    """Registered in credentials.yml as `bot.channels.rest.RestChannel`, replacing Rasa's `rest`."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            max_message_chars=int(credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS),
            max_request_bytes=int(credentials.get("max_request_bytes") or DEFAULT_MAX_REQUEST_BYTES),
        )

    def __init__(self, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
        self.max_message_chars = max_message_chars
        self.max_request_bytes = max_request_bytes

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest_webhook = _BodyLimitBlueprint("rest_channel_webhook", __name__, self.max_request_bytes)

        @rest_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                message = read_request(request.body)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            output = CollectingOutputChannel()
            screened = await screen(message.text, self.max_message_chars, agent_parser(request.app))
            try:
                if screened.text is not None:
                    await on_new_message(
                        UserMessage(
                            screened.text,
                            output,
                            message.sender,
                            parse_data=screened.parse_data,
                            input_channel=self.name(),
                            metadata=message.metadata,
                        )
                    )
            except Exception:
                logger.exception("The assistant failed on a REST message from %s.", message.sender)
                await output.send_text_message(message.sender, FAILURE_REPLY)
            if screened.note:
                await output.send_text_message(message.sender, screened.note)
            return response.json(output.messages)

        return rest_webhook
