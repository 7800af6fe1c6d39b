"""What a message typed while a question is open is: an answer, or something else.

A form fills its open question with whatever was typed (a `from_text` mapping),
so this decides before anything is stored. The rules, in order:

1. Anything that looks like a crisis is never an answer (the form refuses it;
   the crisis rules answer it).
2. "I'm not safe" ends the questionnaire so the urgent reply is not followed by
   the next question.
3. A correction of another answer, which names that answer ("actually my
   phone is ..."), is handled as one, even if it also reads as an answer to
   the open question ("my name is ..." to the name question is the answer).
4. A valid answer to a question with a fixed format (a date, a phone number,
   yes/no, a scale) is an answer, whatever the intent classifier thought.
5. A question about the clinic, "why do you ask?", "stop for now", "call me" and
   similar are digressions: the form steps aside, Rasa's own rules answer them,
   and the form asks its question again (or stays stopped, for a pause).
6. "No" to the consent question declines it (a rule says goodbye kindly).
7. "hi" or "start the questionnaire" in the middle just repeats the question.
8. Everything else is an attempt at an answer.
"""

from __future__ import annotations

from enum import Enum

from spacy.tokens import Doc

from bot.crisis import CRISIS_INTENT, NOT_SAFE_INTENT
from bot.crisis.rules import crisis_spans
from bot.intake.answers import looks_like_question

# Intents that Rasa's rules answer when the form steps aside.
DIGRESSION_INTENTS = frozenset(
    {
        "faq", "choose_topic", "request_human", "bot_challenge", "chitchat", "out_of_scope", "express_distress",
        "intake_why", "intake_pause", "goodbye", "deny_crisis",
    }
)  # fmt: skip
# Of those, the ones that are never an answer even to a free-text question, when the classifier is sure.
# Distress, a denial of crisis or an off-topic remark can be a real answer to "what would you like help with?".
PLAIN_DIGRESSIONS = frozenset({"choose_topic", "request_human", "bot_challenge", "chitchat", "intake_why", "intake_pause", "goodbye"})
RESUME_INTENTS = frozenset({"start_intake", "greet", "thank"})
# Kinds whose answers have a fixed format, so a valid reading is trusted over the intent.
STRICT_KINDS = frozenset(
    {"consent", "review", "date_of_birth", "phone", "email", "us_state", "choice", "yes_no", "scale", "weight", "emergency_contact"}
)
SURE = 0.6


class Turn(Enum):
    CRISIS = "crisis"
    UNSAFE = "unsafe"
    ANSWER = "answer"
    CORRECTION = "correction"
    DIGRESSION = "digression"
    RESUME = "resume"


def is_crisis(intent: str | None, doc: Doc | None) -> bool:
    """Either crisis detector fired: the trained intent, or the rule matcher on the project's pipeline."""
    return intent == CRISIS_INTENT or (doc is not None and bool(crisis_spans(doc)))


def triage(
    kind: str,
    text: str,
    intent: str | None,
    confidence: float,
    doc: Doc | None,
    answered: bool,
    correction: bool,
) -> Turn:
    """Sort one message typed while a question of `kind` is open.

    `answered`: the text reads as a valid answer; `correction`: it changes a different, earlier answer.
    """
    if is_crisis(intent, doc):
        return Turn.CRISIS
    payload = text.strip().startswith("/")  # a button that carries an intent, never an answer
    strict_answer = answered and kind in STRICT_KINDS and not payload
    if intent == NOT_SAFE_INTENT and confidence >= SURE and not strict_answer:
        return Turn.UNSAFE
    if correction and not payload:
        return Turn.CORRECTION
    if strict_answer:
        return Turn.ANSWER
    if intent in DIGRESSION_INTENTS:
        free_text_digression = (intent in PLAIN_DIGRESSIONS and confidence >= SURE) or looks_like_question(text)
        if payload or kind in STRICT_KINDS or free_text_digression:
            return Turn.DIGRESSION
    if kind == "consent" and intent == "deny":
        return Turn.DIGRESSION  # declining: a rule ends the questionnaire before it starts
    if intent in RESUME_INTENTS and confidence >= SURE:
        return Turn.RESUME
    return Turn.ANSWER
