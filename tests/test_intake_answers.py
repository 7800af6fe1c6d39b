"""Reading answers the way people type them: forgiving about form, strict about meaning."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import language
from bot.intake import answers
from bot.intake.answers import NONE, OUTSIDE_US, SKIPPED, UNSURE, read
from bot.intake.questions import catalogue

CATALOGUE = catalogue()
TODAY = date(2026, 11, 24)
NLP = language.load()


def answer(slot: str, text: str) -> object:
    found = read(CATALOGUE.question(slot), text, NLP(text), today=TODAY)
    return None if found is None else found.value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("04/23/1985", "1985-04-23"),
        ("4-23-85", "1985-04-23"),
        ("23 April 1985", "1985-04-23"),
        ("April 23rd, 1985", "1985-04-23"),
        ("1985-04-23", "1985-04-23"),
        ("23.04.1985", "1985-04-23"),
        ("my birthday is march 3rd 1990", "1990-03-03"),
        ("born on 12/01/1978", "1978-12-01"),
        ("4/23/30", "1930-04-23"),  # a two-digit year in the future is the last century
    ],
)
def test_dates_of_birth_in_common_forms(text: str, value: str) -> None:
    assert answer("date_of_birth", text) == value


@pytest.mark.parametrize("text", ["April 1985", "1985", "tomorrow", "12/12/2030", "01/01/1880", "yes", "soon"])
def test_incomplete_or_impossible_dates_are_not_answers(text: str) -> None:
    assert answer("date_of_birth", text) is None


def test_a_date_read_back_names_the_month_so_a_us_or_european_mix_up_shows() -> None:
    found = read(CATALOGUE.question("date_of_birth"), "04/03/1985", today=TODAY)
    assert found is not None and found.echo == "3 April 1985"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("555-123-4567", "+15551234567"),
        ("(555) 123 4567", "+15551234567"),
        ("5551234567", "+15551234567"),
        ("1 555 123 4567", "+15551234567"),
        ("+1 555.123.4567", "+15551234567"),
        ("call me on 555 123 4567 ext 22", "+15551234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phone_numbers_are_normalised(text: str, value: str) -> None:
    assert answer("phone", text) == value


@pytest.mark.parametrize("text", ["555 1234", "123", "055-123-4567", "555-123-4567 or 555-987-6543", "my cell"])
def test_phone_numbers_that_cannot_be_dialled_are_refused(text: str) -> None:
    assert answer("phone", text) is None


@given(st.integers(min_value=2, max_value=9), st.integers(min_value=0, max_value=99), st.integers(0, 9_999_999))
def test_any_ten_digit_us_number_reads_the_same_however_it_is_punctuated(first: int, rest: int, line: int) -> None:
    digits = f"{first}{rest:02d}{line:07d}"
    forms = [digits, f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"{digits[:3]}.{digits[3:6]}.{digits[6:]}", f"+1 {digits}"]
    assert {answer("phone", form) for form in forms} == {"+1" + digits}


@given(st.dates(min_value=date(1910, 1, 1), max_value=date(2026, 11, 23)))
def test_any_birth_date_reads_the_same_in_us_iso_and_written_forms(born: date) -> None:
    forms = [f"{born.month:02d}/{born.day:02d}/{born.year}", born.isoformat(), f"{born.day} {born:%B} {born.year}"]
    assert {answer("date_of_birth", form) for form in forms} == {born.isoformat()}


@pytest.mark.parametrize(
    ("text", "value"),
    [("Jane.Doe@Example.com", "jane.doe@example.com"), ("it's tom+clinic@mail.co.uk", "tom+clinic@mail.co.uk"), ("none", NONE)],
)
def test_email_addresses(text: str, value: str) -> None:
    assert answer("email", text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Ohio", "OH"),
        ("OH", "OH"),
        ("new york", "NY"),
        ("I live in Texas", "TX"),
        ("pensylvania", "PA"),
        ("Washington DC", "DC"),
        ("I live in Canada", OUTSIDE_US),
        ("ok", None),  # a word, not Oklahoma, unless typed as the code "OK"
        ("OK", "OK"),
        ("Narnia", None),
    ],
)
def test_us_states(text: str, value: str | None) -> None:
    assert answer("us_state", text) == value


@pytest.mark.parametrize(
    ("slot", "text", "value"),
    [
        ("contact_method", "2", "Text message"),
        ("contact_method", "text me please", "Text message"),
        ("contact_method", "Phone call", "Phone call"),
        ("contact_method", "4", None),
        ("contact_method", "email or text", None),  # two options: ask again rather than guess
        ("therapy_history", "yes, in the past", "Yes, in the past"),
        ("therapy_history", "yes", None),
        ("ect_tms", "I had ECT and TMS", "Both"),
        ("treatment_preference", "the nasal spray", "Nasal spray (Spravato)"),
        ("payment_preference", "out of pocket", "Self-pay"),
    ],
)
def test_multiple_choice_by_number_label_or_own_words(slot: str, text: str, value: str | None) -> None:
    assert answer(slot, text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("3", 3),
        ("2 - more than half the days", 2),
        ("Not at all", 0),
        ("Several days", 1),
        ("More than half the days", 2),
        ("Nearly every day", 3),
        ("most days", 2),
        ("every day", 3),
        ("never", 0),
        ("4", None),
        ("3 days a week", None),  # not one of the answers: ask again
    ],
)
def test_phq9_scale(text: str, value: int | None) -> None:
    assert answer("phq9_1", text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("Yeah I have", "yes"),
        ("nope", "no"),
        ("I do not", "no"),
        ("never", "no"),
        ("not sure", UNSURE),
        ("I don't know", UNSURE),
        ("maybe?", UNSURE),
        ("skip", SKIPPED),
        ("I'd rather not say", SKIPPED),
        ("purple", None),
    ],
)
def test_yes_no_not_sure_and_skip(text: str, value: str | None) -> None:
    assert answer("history_seizures", text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("150 lb", {"lb": 150, "kg": 68.0}),
        ("68kg", {"lb": 150, "kg": 68.0}),
        ("about 180 pounds", {"lb": 180, "kg": 81.6}),
        ("150", {"lb": 150, "kg": 68.0}),  # a bare number is read as pounds, and read back
        ("10 stone", {"lb": 140, "kg": 63.5}),
        ("not sure", UNSURE),
        ("30", None),
        ("2000 lb", None),
    ],
)
def test_weight_in_pounds_or_kilograms(text: str, value: object) -> None:
    assert answer("weight", text) == value


def test_names_are_tidied_and_non_names_refused() -> None:
    assert answer("full_name", "my name is jane doe") == "Jane Doe"
    assert answer("full_name", "Siobhán O'Neil-Brown") == "Siobhán O'Neil-Brown"
    assert answer("full_name", "hi") is None
    assert answer("full_name", "555 1234") is None


def test_emergency_contact_needs_a_number_and_normalises_it() -> None:
    assert answer("emergency_contact", "my sister Anna 555 987 6543") == {"name": "sister Anna", "phone": "+15559876543"}
    assert answer("emergency_contact", "Anna") is None
    assert answer("emergency_contact", "no one") == NONE


def test_free_text_keeps_the_words_and_understands_none_and_unsure() -> None:
    assert answer("diagnoses", "Depression  and anxiety") == "Depression and anxiety"
    assert answer("diagnoses", "I don't know") == UNSURE
    assert answer("allergies", "no allergies") == NONE
    assert answer("allergies", "penicillin") == "penicillin"


@pytest.mark.parametrize(
    ("text", "generics", "doses"),
    [
        ("klonopin", ["clonazepam"], [None]),
        ("Lamictal 200mg", ["lamotrigine"], ["200 mg"]),
        ("adderall", ["amphetamine/dextroamphetamine"], [None]),
        ("Lamictal 200 mg and klonopin 0.5mg as needed", ["lamotrigine", "clonazepam"], ["200 mg", "0.5 mg"]),
        ("zoloft, lexapro and wellbutrin xl", ["sertraline", "escitalopram", "bupropion"], [None, None, None]),
    ],
)
def test_medications_are_recognised_by_brand_generic_or_misspelling(text: str, generics: list[str], doses: list) -> None:
    value = answer("current_medications", text)
    assert isinstance(value, dict)
    assert [m["generic"] for m in value["medications"]] == generics
    assert [m["dose"] for m in value["medications"]] == doses
    assert value["text"] == text


def test_medication_answers_without_a_known_name() -> None:
    assert answer("current_medications", "none") == NONE
    assert answer("antidepressants_tried", "I've tried about 5") == {"text": "I've tried about 5", "medications": [], "stated_count": 5}
    assert answer("antidepressants_tried", "not sure") == UNSURE
    kept = answer("current_medications", "a green pill for my stomach")
    assert kept == {"text": "a green pill for my stomach", "medications": []}


def test_consent_is_an_explicit_yes() -> None:
    assert answer("intake_consent", "I agree") is True
    assert answer("intake_consent", "yes") is True
    assert answer("intake_consent", "no") is None
    assert answer("intake_consent", "skip") is None  # consent cannot be skipped


def test_questions_and_answers_are_told_apart() -> None:
    assert answers.looks_like_question("how much does it cost?")
    assert answers.looks_like_question("why do you need this")
    assert not answers.looks_like_question("depression and anxiety")


def test_a_long_free_text_answer_is_kept_whole() -> None:
    """The channel bounds a message (MAX_MESSAGE_CHARS); within that, nothing the visitor wrote is dropped."""
    story = "I have tried three antidepressants over the years and talk therapy twice a week. " * 20
    assert len(story) > 1500
    assert answer("diagnoses", story) == story.strip()


def test_a_long_medication_answer_is_kept_whole() -> None:
    story = "sertraline for two years, then bupropion, then venlafaxine which made me dizzy. " * 20
    assert answer("antidepressants_tried", story)["text"] == story.strip()
