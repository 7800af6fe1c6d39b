"""The Rasa domain of the questionnaire: the hand-written part plus what the catalogue implies.

`domain.yml` in this directory holds what is written once by hand (intents,
bookkeeping slots, fixed replies, custom actions). Everything that follows from
the questions is generated here: one form per section, one slot per question
with a from_text mapping that a crisis can never fill, and each question's
`utter_ask_<slot>` with buttons for the web and a numbered-reply variant for
SMS. bot/intake/importer.py hands the result to Rasa next to the project's
domain.yml, so `rasa train`, `rasa data validate` and `rasa test` all see it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.crisis import CRISIS_INTENT
from bot.intake.questions import INTAKE_DIR, Catalogue, Question, Section

HAND_WRITTEN_FILE = INTAKE_DIR / "domain.yml"
REVIEW_FORM = "review_form"
YES_NO_LABELS = ("Yes", "No", "Not sure")
CONSENT_LABELS = ("I agree", "Not now")
SMS_CHANNEL = "twilio"


def button_labels(question: Question) -> list[str]:
    """The answers offered as buttons on the web; SMS offers the same ones as replies."""
    if question.kind in {"choice", "scale"}:
        return [o.label for o in question.options]
    if question.kind == "yes_no":
        return list(YES_NO_LABELS)
    if question.kind == "consent":
        return list(CONSENT_LABELS)
    return []


def sms_reply_hint(question: Question) -> str:
    """How to answer by text message: the number (scale value, option number) or the word."""
    if question.kind == "scale":
        return "Reply " + "; ".join(f"{o.words[0]} for {o.label}" for o in question.options) + "."
    if question.kind == "choice":
        return "Reply " + "; ".join(f"{n} for {o.label}" for n, o in enumerate(question.options, start=1)) + "."
    if question.kind == "yes_no":
        return "Reply YES, NO or NOT SURE."
    return ""


def ask_text(section: Section, question: Question) -> str:
    first = section.questions[0] is question
    return f"{section.intro}\n{question.ask}" if first and section.intro else question.ask


def ask_responses(section: Section, question: Question) -> list[dict[str, Any]]:
    text = ask_text(section, question)
    labels = button_labels(question)
    if not labels:
        return [{"text": text}]
    sms = question.sms or f"{text}\n{sms_reply_hint(question)}"
    return [
        {"text": text, "buttons": [{"title": label, "payload": label} for label in labels]},
        {"text": sms, "channel": SMS_CHANNEL},
    ]


def slot_definition(catalogue: Catalogue, section: Section, question: Question) -> dict[str, Any]:
    """A slot filled only with the answer to its own open question, never by a crisis message.

    Answers can also be given again on the review screen, so the review form may fill them too.
    """
    forms = [section.form] + ([REVIEW_FORM] if question.slot in catalogue.answer_slots else [])
    return {
        "type": "any",
        "influence_conversation": False,
        "mappings": [
            {
                "type": "from_text",
                "not_intent": [CRISIS_INTENT],
                "conditions": [{"active_loop": form, "requested_slot": question.slot} for form in forms],
            }
        ],
    }


def generated(catalogue: Catalogue) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    slots: dict[str, Any] = {}
    responses: dict[str, Any] = {}
    for section in catalogue.sections:
        required = catalogue.answer_slots + section.slots if section.form == REVIEW_FORM else section.slots
        forms[section.form] = {"ignored_intents": [CRISIS_INTENT], "required_slots": required}
        for question in section.questions:
            slots[question.slot] = slot_definition(catalogue, section, question)
            if question.kind != "review":  # the review question is asked by action_ask_intake_confirmed
                responses[f"utter_ask_{question.slot}"] = ask_responses(section, question)
    return {
        "version": "3.1",
        "forms": forms,
        "slots": slots,
        "responses": responses,
        "actions": [f"validate_{form}" for form in forms],
    }


def hand_written(path: Path = HAND_WRITTEN_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def intake_domain(catalogue: Catalogue) -> dict[str, Any]:
    """The questionnaire's whole domain as one Rasa domain dictionary."""
    fixed = hand_written()
    made = generated(catalogue)
    overlap = sorted((set(fixed.get("slots", {})) | set(fixed.get("responses", {}))) & (set(made["slots"]) | set(made["responses"])))
    if overlap:
        raise ValueError(f"bot/intake/domain.yml defines {overlap}, which are generated from the questions.")
    return {
        "version": "3.1",
        "intents": fixed.get("intents", []),
        "slots": {**fixed.get("slots", {}), **made["slots"]},
        "forms": made["forms"],
        "responses": {**fixed.get("responses", {}), **made["responses"]},
        "actions": fixed.get("actions", []) + made["actions"],
    }
