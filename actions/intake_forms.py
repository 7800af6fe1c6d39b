"""Validation for the questionnaire's forms: one FormValidationAction per section.

Each question gets a `validate_<slot>` method, made from its kind in
bot/intake/questions.yml (the rules for reading answers are in bot/intake/,
as plain functions with their own tests). A validator:

- refuses anything crisis-like as an answer (either detector), so nothing a
  person says in a crisis is stored as, say, their diagnosis;
- reads the answer forgivingly and reads it back when it had to interpret it;
- re-asks kindly with a specific hint, and after three tries offers to skip
  or to ask for a call;
- applies corrections of earlier answers ("actually my phone is ...");
- for PHQ-9 item 9 above "not at all", flags the intake, alerts staff and stops
  the form so that the crisis rule answers.

Messages that are not answers at all (an FAQ, "why do you ask?", "stop for
now", "I'm not safe") make the form step aside in `run`, so Rasa's own rules
answer them; see bot/intake/turns.py for the order of these decisions.
Nothing here logs what a person typed: only sender ids and slot names.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from functools import cache, lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from spacy.tokens import Doc

from bot import language
from bot import settings as config
from bot.crisis import CRISIS_INTENT, SIGNAL_ENTITY
from bot.intake import record
from bot.intake.answers import Answer, agrees, read, shown
from bot.intake.corrections import Correction, field_and_value, field_slot, find_correction, strip_trigger
from bot.intake.domain import REVIEW_FORM
from bot.intake.questions import Question, catalogue
from bot.intake.summary import safe, wants_summary
from bot.intake.turns import Turn, is_crisis, triage

logger = logging.getLogger(__name__)

CATALOGUE = catalogue()
REQUESTED_SLOT = "requested_slot"
RETRIES_SLOT = "intake_retries"
ALERT_SLOT = "phq9_item9_alert"
STATUS_SLOT = "intake_status"
CONFIRMED_SLOT = "intake_confirmed"
ITEM_NINE = "phq9_9"
MAX_TRIES = 3
IN_PROGRESS = "in_progress"
# One thread writes intakes, so the writes of one conversation land in the order they were made.
WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-writer")
Validator = Callable[["IntakeFormValidation", Any, CollectingDispatcher, Tracker, DomainDict], Coroutine[Any, Any, dict]]


@cache
def _pipeline() -> Any:
    """The project's spaCy pipeline (medication names, crisis rules), loaded once per action server."""
    return language.load()


_pipeline()  # at start-up, so that no one's first answer waits for the pipeline to load


@lru_cache(maxsize=64)
def processed(text: str) -> Doc:
    return _pipeline()(text)


@cache
def database_url() -> str:
    return config.load().database_url


def latest(tracker: Tracker) -> tuple[str, str | None, float]:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    return message.get("text") or "", intent.get("name"), float(intent.get("confidence") or 0.0)


class IntakeFormValidation(FormValidationAction, ABC):
    """What every section's validation shares; subclasses only name their form."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested = tracker.get_slot(REQUESTED_SLOT)
        answering = requested in CATALOGUE.by_slot and requested in tracker.slots_to_validate()
        if answering:
            aside = self.step_aside(CATALOGUE.question(requested), tracker)
            if aside is not None:
                return aside
        events = await super().run(dispatcher, tracker, domain)
        return events + self.after_validation(events, tracker) if answering else events

    def step_aside(self, question: Question, tracker: Tracker) -> list[EventType] | None:
        """Events that take the message away from the form, or None when it is an answer for the validators."""
        text = latest(tracker)[0]
        turn = self.turn(question, tracker)
        refuse = SlotSet(question.slot, None)
        rejected = ActionExecutionRejected(self.form_name())
        if turn is Turn.CRISIS:
            # Only the rule detector can get here (a crisis intent never fills a slot). Re-read the
            # turn as a crisis, like the NLU would have: the crisis policy and rules take over,
            # crisis_detected is set and the alert outbox records it.
            logger.warning("Crisis language in an answer from %s (%s); handing over to the crisis path.", tracker.sender_id, question.slot)
            parse = {
                "text": text,
                "intent": {"name": CRISIS_INTENT, "confidence": 1.0},
                "entities": [{"entity": SIGNAL_ENTITY, "value": "rules"}],
            }
            return [refuse, UserUttered(text, parse_data=parse, input_channel=tracker.get_latest_input_channel()), rejected]
        if turn is Turn.UNSAFE:
            return [refuse, SlotSet(RETRIES_SLOT, None), ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), rejected]
        if turn is Turn.DIGRESSION:
            return [refuse, rejected]
        return None

    def turn(self, question: Question, tracker: Tracker) -> Turn:
        text, intent, confidence = latest(tracker)
        doc = processed(text)
        answered = self.read(question, text) is not None or (question.kind == "review" and is_review_request(text))
        correction = find_correction(CATALOGUE, text)
        elsewhere = correction is not None and correction.slot != question.slot
        return triage(question.kind, text, intent, confidence, doc, answered, elsewhere)

    @staticmethod
    def read(question: Question, text: str) -> Answer | None:
        return read(question, text, processed(text))

    async def validate_question(
        self, question: Question, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        slot = question.slot
        if tracker.get_slot(REQUESTED_SLOT) != slot:
            return self.prefilled(question)  # checked when it was given; the form is passing through
        text, intent, _ = latest(tracker)
        if is_crisis(intent, processed(text)):
            return {slot: None}
        turn = self.turn(question, tracker)
        correction = find_correction(CATALOGUE, text)
        if turn is Turn.CORRECTION and correction is not None:
            return self.correct(correction, question, dispatcher, tracker)
        if turn is not Turn.ANSWER:
            return {slot: None}
        answer = self.read(question, text) or self.read(question, strip_trigger(text))
        if answer is None and correction is not None and correction.slot == slot and correction.text:
            answer = self.read(question, correction.text)  # "actually my e-mail is ..." to the e-mail question
        if answer is None:
            return self.retry(question, dispatcher, tracker)
        self.read_back(question, answer, dispatcher)
        return {slot: answer.value, RETRIES_SLOT: None, **self.consequences(question, answer, tracker)}

    @staticmethod
    def prefilled(question: Question) -> dict[str, Any]:
        # Item 9's alert is for the turn it is answered in; passing through later must not repeat it.
        return {ALERT_SLOT: False} if question.slot == ITEM_NINE else {}

    @staticmethod
    def consequences(question: Question, answer: Answer, tracker: Tracker) -> dict[str, Any]:
        """Slots besides the answer that an answer sets."""
        if question.slot == ITEM_NINE:
            positive = isinstance(answer.value, int) and answer.value > 0
            return {ALERT_SLOT: True, "crisis_detected": True, SIGNAL_ENTITY: "phq9_item9"} if positive else {ALERT_SLOT: False}
        if question.kind == "consent" and tracker.get_slot(STATUS_SLOT) != "submitted":
            return {STATUS_SLOT: IN_PROGRESS}
        return {}

    def retry(self, question: Question, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        retries = tracker.get_slot(RETRIES_SLOT) or {}
        count = retries.get("count", 0) + 1 if retries.get("slot") == question.slot else 1
        dispatcher.utter_message(text=CATALOGUE.hint(question))
        if count >= MAX_TRIES and question.kind not in {"consent", "review"}:
            dispatcher.utter_message(response="utter_intake_stuck")
        return {question.slot: None, RETRIES_SLOT: {"slot": question.slot, "count": count}}

    @staticmethod
    def read_back(question: Question, answer: Answer, dispatcher: CollectingDispatcher) -> None:
        value = answer.value
        if question.kind == "medications" and isinstance(value, dict) and not answer.echo:
            dispatcher.utter_message(response="utter_intake_medications_kept")
        elif question.kind == "medications" and isinstance(value, dict) and value.get("medications"):
            dispatcher.utter_message(response="utter_intake_medications_noted", noted=safe(answer.echo or ""))
        elif answer.echo:
            dispatcher.utter_message(response="utter_intake_noted", noted=safe(answer.echo))

    def correct(self, correction: Correction, current: Question, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Change an earlier answer, then ask the open question again (or the corrected one, when in this form)."""
        target = CATALOGUE.question(correction.slot)
        form = self.form_name()
        own_form = CATALOGUE.section_of(target.slot).form == form
        reviewing = form == REVIEW_FORM
        field = target.label.lower()
        if target.kind == "scale" and not (own_form or reviewing):
            # Questionnaire answers change on their own form or the review, where item 9 gets the crisis reply.
            dispatcher.utter_message(response="utter_intake_change_at_review", field=target.label)
            return {current.slot: None}
        if correction.text is None:
            if own_form or reviewing:
                return {target.slot: None, current.slot: None}
            dispatcher.utter_message(response="utter_intake_ask_again_later", field=field)
            return {current.slot: None}
        answer = self.read(target, correction.text)
        if answer is None:
            dispatcher.utter_message(text=CATALOGUE.hint(target))
            return {current.slot: None}
        dispatcher.utter_message(response="utter_intake_updated", field=field, noted=safe(shown(target, answer.value)))
        changes = {current.slot: None, target.slot: answer.value, **self.consequences(target, answer, tracker)}
        if target.slot == current.slot:
            changes[RETRIES_SLOT] = None
        return changes

    def after_validation(self, events: list[EventType], tracker: Tracker) -> list[EventType]:
        """After an answer: stop the form on a PHQ-9 item 9 alert (the crisis rule answers), and save the intake."""
        changed = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        alert = changed.get(ALERT_SLOT) is True
        answered = any(changed.get(s) is not None for s in CATALOGUE.answer_slots) or changed.get("intake_consent") is True
        if answered or alert:
            # Written in the background, in order: a slow or locked database never delays a reply, the crisis reply least of all.
            WRITER.submit(save_progress, tracker.sender_id, tracker.get_latest_input_channel(), dict(tracker.slots), alert)
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)] if alert else []

    async def validate_intake_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The review screen: yes sends; otherwise find which answer to change."""
        if tracker.get_slot(REQUESTED_SLOT) != CONFIRMED_SLOT:
            return {}
        text, intent, _ = latest(tracker)
        if is_crisis(intent, processed(text)):
            return {CONFIRMED_SLOT: None}
        question = CATALOGUE.question(CONFIRMED_SLOT)
        correction = find_correction(CATALOGUE, text) or field_and_value(CATALOGUE, text)
        if correction is not None:
            return {**self.correct(correction, question, dispatcher, tracker), CONFIRMED_SLOT: None}
        named = field_slot(CATALOGUE, text)
        if named is not None:
            return {named: None, CONFIRMED_SLOT: None}
        if intent != "deny" and agrees(text):
            return {CONFIRMED_SLOT: True}
        if wants_summary(text):
            return {CONFIRMED_SLOT: None}  # the review is asked again, in full
        dispatcher.utter_message(response="utter_intake_change_what")
        return {CONFIRMED_SLOT: None}


def save_progress(sender_id: str, channel: str | None, slots: dict[str, Any], alert: bool) -> None:
    """Write the open intake (and, for PHQ-9 item 9, the staff alert); runs on WRITER."""
    try:
        if alert:
            record.raise_item_nine_alert(database_url(), sender_id, channel)
        record.save(database_url(), sender_id, channel, record.build(CATALOGUE, slots, date.today()))
    except Exception:  # noqa: BLE001 - in the writer thread an error would otherwise vanish; the answers are also in the tracker
        logger.exception("Could not save the intake of %s.", sender_id)


def is_review_request(text: str) -> bool:
    """On the review screen, naming an answer to change or asking to see them all is an answer too."""
    return wants_summary(text) or field_slot(CATALOGUE, text) is not None or field_and_value(CATALOGUE, text) is not None


def _validator(question: Question) -> Validator:
    async def validate(
        self: IntakeFormValidation, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.validate_question(question, value, dispatcher, tracker, domain)

    validate.__name__ = f"validate_{question.slot}"
    validate.__doc__ = f"Validate the answer to {question.label!r} ({question.kind})."
    return validate


for _question in CATALOGUE.by_slot.values():
    if not hasattr(IntakeFormValidation, f"validate_{_question.slot}"):
        setattr(IntakeFormValidation, f"validate_{_question.slot}", _validator(_question))


class ValidateConsentForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_consent_form"


class ValidateContactForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_contact_form"


class ValidateReasonForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_reason_form"


class ValidateTreatmentForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_treatment_form"


class ValidateMedicationsForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_medications_form"


class ValidateMedicalForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_medical_form"


class ValidatePhq9Form(IntakeFormValidation):
    def name(self) -> str:
        return "validate_phq9_form"


class ValidateGad7Form(IntakeFormValidation):
    def name(self) -> str:
        return "validate_gad7_form"


class ValidatePreferencesForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_preferences_form"


class ValidateReviewForm(IntakeFormValidation):
    def name(self) -> str:
        return "validate_review_form"
