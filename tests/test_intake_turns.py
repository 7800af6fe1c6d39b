"""Deciding what a message typed at an open question is, and reading corrections of earlier answers."""

from __future__ import annotations

import pytest

from bot import language
from bot.intake.corrections import Correction, field_and_value, field_slot, find_correction, strip_trigger
from bot.intake.questions import catalogue
from bot.intake.turns import Turn, triage

CATALOGUE = catalogue()
NLP = language.load()


def turn(kind: str, text: str, intent: str = "inform", confidence: float = 0.9, answered: bool = False, correction: bool = False) -> Turn:
    return triage(kind, text, intent, confidence, NLP(text), answered, correction)


@pytest.mark.parametrize("text", ["I want to kill myself", "honestly i just want to die", "kms"])
def test_crisis_language_is_never_an_answer_even_when_the_classifier_missed_it(text: str) -> None:
    assert turn("text", text, intent="inform", answered=True) is Turn.CRISIS
    assert turn("scale", "Several days", intent="crisis_disclosure", answered=True) is Turn.CRISIS


def test_not_safe_stops_the_questionnaire_unless_it_is_a_real_answer() -> None:
    assert turn("text", "I'm not safe", intent="crisis_not_safe", answered=True) is Turn.UNSAFE
    assert turn("yes_no", "not sure", intent="crisis_not_safe", confidence=0.7, answered=True) is Turn.ANSWER


def test_a_valid_fixed_format_answer_wins_over_the_intent() -> None:
    assert turn("choice", "Morning", intent="greet", answered=True) is Turn.ANSWER
    assert turn("scale", "2", intent="faq", answered=True) is Turn.ANSWER


@pytest.mark.parametrize(
    ("kind", "text", "intent", "confidence", "answered", "expected"),
    [
        ("phone", "how much does an infusion cost?", "faq", 0.9, False, Turn.DIGRESSION),
        ("text", "how much does an infusion cost?", "faq", 0.9, True, Turn.DIGRESSION),
        ("text", "depression and anxiety", "faq", 0.5, True, Turn.ANSWER),  # a topic word, not a question
        ("text", "why do you ask", "intake_why", 0.9, True, Turn.DIGRESSION),
        ("text", "I've been really low for years", "express_distress", 0.9, True, Turn.ANSWER),
        ("yes_no", "I'm so low", "express_distress", 0.9, False, Turn.DIGRESSION),
        ("email", "stop for now", "intake_pause", 0.8, False, Turn.DIGRESSION),
        ("text", "/request_human", "request_human", 1.0, True, Turn.DIGRESSION),
        ("consent", "Not now", "deny", 0.9, False, Turn.DIGRESSION),
        ("name", "hi", "greet", 0.9, False, Turn.RESUME),
        ("text", "continue the questionnaire", "start_intake", 0.9, True, Turn.RESUME),
        ("phone", "555 12", "inform", 0.9, False, Turn.ANSWER),  # an attempt: the validator re-asks
    ],
)
def test_digressions_resumes_and_attempts(kind: str, text: str, intent: str, confidence: float, answered: bool, expected: Turn) -> None:
    assert turn(kind, text, intent=intent, confidence=confidence, answered=answered) is expected


def test_a_correction_of_another_answer_wins_even_when_it_reads_as_an_answer() -> None:
    assert turn("scale", "actually phq-9 question 3 is several days", answered=True, correction=True) is Turn.CORRECTION
    assert turn("emergency_contact", "actually my phone is 555 123 4567", answered=True, correction=True) is Turn.CORRECTION


@pytest.mark.parametrize(
    ("words", "slot"),
    [
        ("phone", "phone"),
        ("cell number", "phone"),
        ("birthday", "date_of_birth"),
        ("date of birth", "date_of_birth"),
        ("e-mail address", "email"),
        ("PHQ-9 question 3", "phq9_3"),
        ("phq9 q 9", "phq9_9"),
        ("gad-7 item 2", "gad7_2"),
        ("gad 7 2", "gad7_2"),
        ("Seizures or epilepsy", "history_seizures"),
        ("my weight", "weight"),
        ("something", None),
        ("phq-9 answers", None),  # the questionnaire's name, not one of its questions
        ("phq-9 question", None),  # no number: not question 9
        ("phq-9 question 3 several", None),
    ],
)
def test_answers_are_named_the_way_people_name_them(words: str, slot: str | None) -> None:
    assert field_slot(CATALOGUE, words) == slot


@pytest.mark.parametrize(
    ("text", "correction"),
    [
        ("actually my phone is 555 222 3333", Correction("phone", "555 222 3333")),
        ("sorry, I meant my email is jane@example.com", Correction("email", "jane@example.com")),
        ("change my date of birth to 3/4/1990", Correction("date_of_birth", "3/4/1990")),
        ("change my date of birth", Correction("date_of_birth")),
        ("I want to change my phone", Correction("phone")),
        ("my cell is 555 111 2222", Correction("phone", "555 111 2222")),
        ("my depression is bad", None),
        ("actually, several days", None),  # a new answer to the open question, handled by strip_trigger
    ],
)
def test_corrections(text: str, correction: Correction | None) -> None:
    assert find_correction(CATALOGUE, text) == correction


def test_the_review_screen_accepts_a_field_then_its_new_answer() -> None:
    assert field_and_value(CATALOGUE, "phone 555 333 4444") == Correction("phone", "555 333 4444")
    assert field_and_value(CATALOGUE, "date of birth: 4/23/1985") == Correction("date_of_birth", "4/23/1985")
    assert field_and_value(CATALOGUE, "yes") is None


@pytest.mark.parametrize(
    ("text", "correction"),
    [
        ("phq-9 question 3 several days", Correction("phq9_3", "several days")),
        ("gad-7 item 2 more than half the days", Correction("gad7_2", "more than half the days")),
        ("my phq-9 question 9 answer not at all", Correction("phq9_9", "not at all")),
    ],
)
def test_a_questionnaire_item_named_on_the_review_screen_keeps_its_whole_answer(text: str, correction: Correction) -> None:
    assert field_and_value(CATALOGUE, text) == correction


def test_a_trigger_word_before_a_new_answer_is_dropped() -> None:
    assert strip_trigger("actually, several days") == "several days"
    assert strip_trigger("Sorry I meant 555-123-4567") == "555-123-4567"
    assert strip_trigger("Several days") == "Several days"
