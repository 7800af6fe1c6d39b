"""The questionnaire's actions outside validation: the review screen, submission, "why do you ask?"."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from functools import partial
from typing import Any

import sqlalchemy as sa
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.intake_forms import CATALOGUE, CONFIRMED_SLOT, REQUESTED_SLOT, STATUS_SLOT, WRITER, database_url
from bot.intake import record
from bot.intake.domain import REVIEW_FORM, SMS_CHANNEL
from bot.intake.summary import review_summary, wants_summary

logger = logging.getLogger(__name__)


class ActionAskIntakeConfirmed(Action):
    """Shows every answer before anything is sent, so the person can fix any of them.

    The whole summary is shown when the review opens and when asked for; after a
    change, a short question, so an SMS conversation is not flooded with it each time.
    """

    def name(self) -> str:
        return "action_ask_intake_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if review_just_opened(tracker) or wants_summary((tracker.latest_message or {}).get("text") or ""):
            summary = review_summary(CATALOGUE, tracker.slots)
            if tracker.get_latest_input_channel() == SMS_CHANNEL:
                # A text message has a size limit and the web chat has not: by SMS, one text per section.
                for section in summary.split("\n\n"):
                    dispatcher.utter_message(text=section)
            dispatcher.utter_message(response="utter_intake_review", summary=summary)
        else:
            dispatcher.utter_message(response="utter_intake_review_again")
        return []


def review_just_opened(tracker: Tracker) -> bool:
    """The review form was activated in this turn (by the person's latest message)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "active_loop" and event.get("name") == REVIEW_FORM:
            return True
    return False


class ActionSubmitIntake(Action):
    """Marks the intake submitted, with its scores and flags; the person is told it was sent, nothing more."""

    def name(self) -> str:
        return "action_submit_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if tracker.get_slot(CONFIRMED_SLOT) is not True:
            # Only the person's yes on the review screen sends the intake, whatever path led here.
            logger.error("Not submitting the intake of %s: the review was not confirmed.", tracker.sender_id)
            dispatcher.utter_message(response="utter_try_again")
            return []
        intake = record.build(CATALOGUE, tracker.slots, date.today())
        save = partial(record.save, database_url(), tracker.sender_id, tracker.get_latest_input_channel(), intake, submit=True)
        try:
            # On the intake writer, after any answer still being saved; the person is told only once it is stored.
            intake_id = await asyncio.get_running_loop().run_in_executor(WRITER, save)
        except sa.exc.SQLAlchemyError:
            logger.exception("Could not submit the intake of %s; it stays in progress.", tracker.sender_id)
            dispatcher.utter_message(response="utter_try_again")
            return [SlotSet(CONFIRMED_SLOT, None)]
        logger.info("Intake %s submitted by %s.", intake_id, tracker.sender_id)
        dispatcher.utter_message(response="utter_intake_submitted")
        return [SlotSet(STATUS_SLOT, record.SUBMITTED)]


class ActionExplainIntakeQuestion(Action):
    """Says why the open question is asked (or what the questionnaire is for); the form then asks it again."""

    def name(self) -> str:
        return "action_explain_intake_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        section = CATALOGUE.form_section(tracker.active_loop.get("name"))
        requested = tracker.get_slot(REQUESTED_SLOT)
        if section is None or requested not in CATALOGUE.by_slot:
            dispatcher.utter_message(response="utter_intake_about")
            return []
        question = CATALOGUE.question(requested)
        reason = question.why or CATALOGUE.section_of(requested).why
        dispatcher.utter_message(response="utter_intake_why", reason=reason)
        return []
