"""SMS through Twilio: Rasa's Twilio channel made safe and usable for patients.

Rasa's own channel (rasa/core/channels/twilio.py) answers unsigned requests,
sends each button as its own SMS with the payload showing, never shortens a
reply and uses the phone number as the sender id. This one:

- refuses any request without a valid `X-Twilio-Signature` (403, nothing sent);
- answers STOP / START / HELP itself, as carriers require, and records STOP;
- numbers buttons and maps a numbered reply back to the button's payload;
- splits replies to SMS size, shortening all but the crisis replies;
- tells each number once that SMS is not encrypted;
- uses a keyed hash of the number as the sender id, so a returning patient
  resumes the same conversation and logs never show the number.

It reports itself as `twilio`, so the domain's `channel: twilio` variants are used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels import FAILURE_REPLY
from bot.channels.incoming import DEFAULT_MAX_MESSAGE_CHARS, Parser, agent_parser, clean, screen
from bot.channels.signing import load_secret, sms_sender_id
from bot.channels.sms_contacts import ContactStore
from bot.channels.sms_text import Keyword, button_choice, fit_to_sms, keyword, plain_text, with_numbered_buttons
from bot.knowledge import SMS_LIMIT, load_clinic

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
CRISIS_RESPONSES = "utter_crisis"  # every crisis response's name starts with this
MAX_PARTS = 3  # a longer reply is shortened and points to the clinic's phone
SEND_ATTEMPTS = 3
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

# Fixed replies; {placeholders} come from knowledge/clinic.yml. Each fits one SMS.
TEXTS = {
    "help": (
        "{clinic_name}: automated assistant, not medical advice. Call us at {clinic_phone} ({clinic_hours}). "
        "In crisis? Call or text 988, or text HOME to 741741. Emergency: 911. Reply STOP to opt out."
    ),
    "stop": "{clinic_name}: you're unsubscribed and won't get more texts from us. Reply START to resubscribe. In crisis? Call or text 988.",
    "start": "{clinic_name}: you're subscribed again. Reply HELP for help, STOP to opt out. Msg & data rates may apply.",
    "notice": (
        "{clinic_name}: text messages are not encrypted, so please don't text anything you want kept private - "
        "call {clinic_phone} instead. Reply HELP for help, STOP to opt out. Msg & data rates may apply."
    ),
    "text_only": "Sorry, I can only read text messages. Please type your question. In crisis? Call or text 988.",
    "shortened": " Call {clinic_phone} for the rest.",
}


def twilio_form(request: Request) -> RequestParameters:
    """The posted fields, blank ones included: Twilio signs `Body=` of a picture-only MMS too (Sanic drops it)."""
    if request.content_type.split(";")[0].strip() != "application/x-www-form-urlencoded":
        return RequestParameters()
    return RequestParameters(parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))


class _TwilioApiAt(AsyncTwilioHttpClient):
    """Twilio's HTTP client, sending to another base address: a local fake of the API in tests."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        return await super().request(method, url.replace(TWILIO_API, self.base_url, 1), *args, **kwargs)


class TwilioSender:
    """Sends one SMS at a time through Twilio's REST API, retrying what may succeed on a retry."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str, api_base: str = "") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base = api_base
        self._client: Client | None = None

    def client(self) -> Client:
        # Created on first use: the aiohttp session must be made inside the running event loop.
        if self._client is None:
            http = _TwilioApiAt(self.api_base) if self.api_base else AsyncTwilioHttpClient(timeout=10)
            self._client = Client(self.account_sid, self.auth_token, http_client=http)
        return self._client

    async def send(self, to: str, body: str) -> bool:
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.client().messages.create_async(to=to, from_=self.from_number, body=body)
                return True
            except TwilioRestException as error:
                # 21610: the number sent STOP to Twilio itself; Twilio refuses until it sends START.
                logger.error("Twilio refused an SMS (HTTP %s, error %s).", error.status, error.code)
                if error.status != 429 and error.status < 500:
                    return False
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.error("Cannot reach the Twilio API (%s).", type(error).__name__)
            await asyncio.sleep(0.5 * 2**attempt)
        return False


class TwilioSMSOutput(OutputChannel):
    """Replies as SMS: buttons numbered, text split to SMS size, nothing to a number that sent STOP.

    The one exception to STOP is a crisis reply to a message the person has just sent.
    """

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(self, sender: TwilioSender, contacts: ContactStore, shortened_note: str) -> None:
        self.sender = sender
        self.contacts = contacts
        self.shortened_note = shortened_note

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._deliver(recipient_id, text, kwargs)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        self.contacts.set_buttons(recipient_id, buttons)
        await self._deliver(recipient_id, with_numbered_buttons(text, buttons), kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        logger.info("A custom payload for %s was not sent: SMS carries text only.", recipient_id)

    async def _deliver(self, recipient_id: str, text: str, details: dict[str, Any]) -> None:
        contact = self.contacts.get(recipient_id)
        if contact is None:
            logger.error("No phone number on record for %s; the reply was not sent.", recipient_id)
            return
        crisis = str(details.get("utter_action") or "").startswith(CRISIS_RESPONSES)
        if contact.opted_out and not crisis:
            logger.info("%s has opted out with STOP; a reply was withheld.", recipient_id)
            return
        for body in fit_to_sms(plain_text(text), SMS_LIMIT, None if crisis else MAX_PARTS, self.shortened_note):
            await self.sender.send(contact.phone, body)


async def _unread(_: str) -> dict[str, Any]:
    return {}


class TwilioSMSInput(InputChannel):
    """`POST /webhooks/twilio/webhook`, the URL to give Twilio as the number's messaging webhook."""

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            account_sid=credentials.get("account_sid") or "",
            auth_token=credentials.get("auth_token") or "",
            twilio_number=credentials.get("twilio_number") or "",
            api_base=credentials.get("api_base") or "",
            public_url=credentials.get("public_url") or "",
            secret=credentials.get("secret") or "",
            database_url=credentials.get("database_url") or "",
            max_message_chars=int(credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS),
        )

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        twilio_number: str,
        api_base: str = "",
        public_url: str = "",
        secret: str = "",
        database_url: str = "",
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
    ) -> None:
        self.max_message_chars = max_message_chars
        self.configured = bool(account_sid and auth_token and twilio_number and database_url)
        self.auth_token = auth_token
        self.public_url = public_url.rstrip("/")
        self.texts = {key: text.format_map(load_clinic()) for key, text in TEXTS.items()}
        if not self.configured:
            logger.warning("SMS (Twilio) is off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_NUMBER in .env.")
            return
        self.secret = load_secret(secret)
        self.contacts = ContactStore(database_url)
        self.sender = TwilioSender(account_sid, auth_token, twilio_number, api_base)

    def get_output_channel(self) -> OutputChannel | None:
        if not self.configured:
            return None
        return TwilioSMSOutput(self.sender, self.contacts, self.texts["shortened"])

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the public one (tunnel, proxy) when configured, else the one requested."""
        if not self.public_url:
            return request.url
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.public_url}{request.path}{query}"

    def signed_by_twilio(self, request: Request, form: RequestParameters) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        return RequestValidator(self.auth_token).validate(self.signed_url(request), form, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        twilio_webhook = Blueprint("twilio_sms_webhook", __name__)

        @twilio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @twilio_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.text(
                    "SMS is not set up on this assistant: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_NUMBER in .env.",
                    status=503,
                )
            form = twilio_form(request)
            if not self.signed_by_twilio(request, form):
                logger.warning("Refused an SMS webhook request without a valid X-Twilio-Signature.")
                return response.text("Invalid X-Twilio-Signature.", status=403)
            phone = form.get("From")
            if not phone:
                return response.text("No From number.", status=400)
            await self.handle(phone, clean(form.get("Body") or ""), on_new_message, agent_parser(request.app))
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return twilio_webhook

    async def handle(
        self, phone: str, body: str, on_new_message: Callable[[UserMessage], Awaitable[Any]], parse: Parser | None = None
    ) -> None:
        """One inbound SMS: carrier keywords first, then the assistant, then the one-time notice.

        `parse` is the assistant's NLU, to find a crisis in a message over the size limit (bot.channels.incoming);
        without it (a direct call in a unit test) such a message gets the "too long" reply unread.
        """
        sender_id = sms_sender_id(self.secret, phone)
        contact = self.contacts.remember(sender_id, phone)
        word = keyword(body)
        if word is Keyword.STOP:
            logger.info("%s sent STOP; no more messages will be sent to it.", sender_id)
            if not contact.opted_out:
                self.contacts.opt_out(sender_id)
                await self.sender.send(phone, self.texts["stop"])
            return
        if word is Keyword.HELP:
            await self.sender.send(phone, self.texts["help"])
            return
        if word is Keyword.START and contact.opted_out:
            logger.info("%s sent START; messages resume.", sender_id)
            self.contacts.opt_in(sender_id)
            await self.sender.send(phone, self.texts["start"])
            return
        if not body.strip():
            if not contact.opted_out:
                await self.sender.send(phone, self.texts["text_only"])
            return
        text = button_choice(body, contact.buttons) or body
        if contact.buttons:
            self.contacts.set_buttons(sender_id, [])
        output = self.get_output_channel()
        try:
            # Some carriers turn "@" into "¡"; Rasa's own channel undoes it the same way.
            screened = await screen(text.replace("¡", "@"), self.max_message_chars, parse or _unread)
            if screened.text is not None:
                message = UserMessage(screened.text, output, sender_id, parse_data=screened.parse_data, input_channel=self.name())
                await on_new_message(message)
            if screened.note and output is not None:
                await output.send_text_message(sender_id, screened.note)
        except Exception:
            logger.exception("The assistant failed on a message from %s.", sender_id)
            if not contact.opted_out:
                await self.sender.send(phone, FAILURE_REPLY)
        if not contact.notice_sent and not contact.opted_out:
            await self.sender.send(phone, self.texts["notice"])
            self.contacts.mark_notice_sent(sender_id)
