"""Properties of the questionnaire's answer readers, corrections and form validators, for any text.

Whatever a person types to an open question, the assistant must either store a
clean value or ask again; it must never raise (a validator that raises leaves
the person without a reply) and never store something the record cannot hold.
"""

from __future__ import annotations

import json
import string
from datetime import date
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.intake_forms import IntakeFormValidation
from bot import language
from bot.intake import answers
from bot.intake.answers import SKIPPED, STATES, read, shown
from bot.intake.corrections import field_and_value, find_correction, strip_trigger
from bot.intake.questions import catalogue
from bot.intake.summary import safe

CATALOGUE = catalogue()
NLP = language.load()
TODAY = date(2026, 11, 24)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUESTIONS = [q for q in CATALOGUE.by_slot.values() if q.kind != "review"]
# Any text, plus text built from the words answers are made of, so the readers' inner branches are reached too.
FRAGMENTS = ["skip", "not sure", "none", "yes", "no", "my phone is", "actually", "555-123-4567", "1985", "april", "23",
             "lb", "kg", "ohio", "zoloft", "200mg", "3", "nearly every day", "@", "x.com", "<b>", "\x00", "😀", "é"]  # fmt: skip
# Lone UTF-16 halves are not here: every channel replaces them first (bot/channels/incoming.py), as spaCy refuses them.
typed = st.characters(codec="utf-8")
texts = st.one_of(
    st.text(alphabet=typed, max_size=300),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(alphabet=string.printable, max_size=8), max_size=12).map(" ".join),
)


def read_answer(question: Any, text: str) -> answers.Answer | None:
    return read(question, text, NLP(text), today=TODAY)


@FAST
@given(st.sampled_from(QUESTIONS), texts)
def test_any_text_to_any_question_is_an_answer_the_record_can_hold_or_none(question: Any, text: str) -> None:
    found = read_answer(question, text)
    if found is None:
        return
    json.dumps(found.value)  # the record is stored as JSON, encrypted
    # Nothing typed into a free-text answer is lost (the channel already bounds a message's length).
    if question.kind == "text" and found.value not in {answers.SKIPPED, answers.NONE, answers.UNSURE}:
        assert found.value.split() == text.split()
    if isinstance(found.value, dict) and "text" in found.value:
        assert found.value["text"].split() == text.split()
    assert isinstance(shown(question, found.value), str) and len(safe(shown(question, found.value))) <= 160


@FAST
@given(st.sampled_from([q for q in QUESTIONS if q.kind != "consent"]), st.sampled_from(["skip", "Skip.", "pass", "I'd rather not say"]))
def test_skip_is_always_understood(question: Any, text: str) -> None:
    found = read_answer(question, text)
    assert found is not None and found.value == SKIPPED


@FAST
@given(st.sampled_from([q for q in QUESTIONS if q.kind in {"phone", "date_of_birth", "weight", "emergency_contact"}]),
       st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Nd", "No", "Nl"]), max_size=200))  # fmt: skip
def test_text_without_a_digit_never_becomes_a_number_answer(question: Any, text: str) -> None:
    found = read_answer(question, text)
    assert found is None or found.value in {SKIPPED, answers.NONE, answers.UNSURE}


@FAST
@given(st.sampled_from(sorted(STATES)), st.sampled_from(["{}", "{name}", "I live in {name}", "{name}."]))
def test_a_state_reads_back_as_itself(code: str, form: str) -> None:
    question = CATALOGUE.question("us_state")
    found = read_answer(question, form.format(code) if form == "{}" else form.format(name=STATES[code]))
    assert found is not None and found.value == code
    assert read_answer(question, shown(question, found.value)).value == code


@FAST
@given(st.integers(min_value=70, max_value=700), st.sampled_from(["{} lb", "{} pounds", "{}lbs", "about {} lb"]))
def test_a_weight_in_pounds_reads_back_as_itself(pounds: int, form: str) -> None:
    question = CATALOGUE.question("weight")
    found = read_answer(question, form.format(pounds))
    assert found is not None and found.value["lb"] == pounds
    again = read_answer(question, shown(question, found.value))
    assert again is not None and again.value == found.value


@FAST
@given(st.sampled_from([q for q in QUESTIONS if q.kind in {"scale", "choice"}]), st.data())
def test_each_option_by_number_or_label_reads_back_as_itself(question: Any, data: st.DataObject) -> None:
    number = data.draw(st.integers(min_value=1, max_value=len(question.options)))
    option = question.options[number - 1]
    by_label = read_answer(question, data.draw(st.sampled_from([option.label, option.label.upper(), f" {option.label}. "])))
    assert by_label is not None and shown(question, by_label.value) == option.label
    if question.kind == "choice":
        assert read_answer(question, str(number)).value == option.label
    else:
        assert read_answer(question, option.words[0]).value == int(option.words[0])


@FAST
@given(texts)
def test_corrections_never_raise_and_name_only_real_questions(text: str) -> None:
    for correction in (find_correction(CATALOGUE, text), field_and_value(CATALOGUE, text)):
        assert correction is None or correction.slot in CATALOGUE.by_slot
    assert isinstance(strip_trigger(text), str)


def validator_for(question: Any) -> IntakeFormValidation:
    form = CATALOGUE.section_of(question.slot).form
    return next(cls() for cls in IntakeFormValidation.__subclasses__() if cls().form_name() == form)


def tracker(question: Any, text: str) -> Tracker:
    form = CATALOGUE.section_of(question.slot).form
    return Tracker.from_dict(
        {
            "sender_id": "test-properties",
            "slots": {"requested_slot": question.slot, question.slot: text},
            "latest_message": {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []},
            "events": [{"event": "user", "text": text}, {"event": "slot", "name": question.slot, "value": text}],
            "active_loop": {"name": form},
            "latest_action_name": "action_listen",
        }
    )


@FAST
@given(st.sampled_from([q for q in QUESTIONS if q.kind not in {"consent"}]), texts)
async def test_a_validator_stores_a_read_answer_or_asks_again(question: Any, text: str) -> None:
    assume(text.strip())  # an empty message never reaches a validator: Rasa's from_text mapping has nothing to fill
    dispatcher = CollectingDispatcher()
    result = await validator_for(question).validate_question(question, text, dispatcher, tracker(question, text), {})
    stored = result.get(question.slot)
    json.dumps(result)
    if stored is None:
        return  # asked again (a hint), or not an answer at all: Rasa's rules answer it (a question, a crisis)
    readings = [read_answer(question, t) for t in (text, strip_trigger(text))]
    correction = find_correction(CATALOGUE, text)
    if correction is not None and correction.text:
        readings.append(read_answer(question, correction.text))
    assert stored in [r.value for r in readings if r is not None], "only a value the reader produced is stored"


@FAST
@given(st.sampled_from([q for q in QUESTIONS if q.kind in {"phone", "date_of_birth", "email", "us_state", "weight", "scale"}]),
       st.text(alphabet=string.ascii_letters + " ", max_size=40).filter(lambda t: t.strip()))  # fmt: skip
async def test_letters_alone_to_a_fixed_format_question_are_never_stored_as_that_format(question: Any, text: str) -> None:
    dispatcher = CollectingDispatcher()
    result = await validator_for(question).validate_question(question, text, dispatcher, tracker(question, text), {})
    stored = result.get(question.slot)
    if question.kind in {"phone", "date_of_birth", "weight"}:
        assert stored in {None, SKIPPED, answers.NONE, answers.UNSURE}
    if stored is None and dispatcher.messages:
        assert any(m.get("text") or m.get("response") for m in dispatcher.messages), "the re-ask says what is wanted"
