"""FAQ answers over REST: from the knowledge base, traceable, honest when unsure."""

from __future__ import annotations

import pytest

from tests.conftest import Assistant, new_sender, texts


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("how much does one infusion cost?", "cost_iv"),
        ("whats the difference between spravato and iv ketamine", "iv_vs_spravato"),
        ("can i drive myself home after?", "driving_getting_home"),
        ("will insurance pay for spravato", "spravato_insurance"),
        ("is ketamine addictive", "addiction_risk"),
        ("how many treatments will i need", "number_of_treatments"),
        # An absence or a loss with a reason, asked about as scheduling: not small talk, and not a crisis.
        ("won't be here Thursday, out of town. can I reschedule?", "cancellation_policy"),
        ("my uncle passed and the funeral is the same day as my infusion, can I reschedule?", "cancellation_policy"),
        # A dark idiom around a clinic question: the question's answer, not small talk.
        ("that lasagna was to die for. can I eat before my infusion tomorrow?", "preparing_food"),
        ("the baby is going to be the death of me. do you take Blue Cross?", "insurance_coverage"),
        # A denial with a question beside it: the question is answered, not only the denial acknowledged.
        ("I have no thoughts of harming myself or ending my life. How many infusions would I need?", "number_of_treatments"),
        ("I'm not suicidal, just worn out. How much does an IV infusion cost?", "cost_iv"),
    ],
)
def test_faq_is_answered_from_its_entry_and_the_entry_is_recorded(assistant: Assistant, question: str, entry: str) -> None:
    sender = new_sender()
    replies = assistant.send(question, sender)
    assert "Sources:" in texts(replies)
    assert assistant.slot(sender, "kb_entry") == entry
    bot_events = [e for e in assistant.tracker(sender)["events"] if e["event"] == "bot"]
    assert bot_events[-1]["metadata"]["utter_action"] == f"utter_faq/{entry}"


def test_clinic_prices_come_from_the_clinic_configuration(assistant: Assistant) -> None:
    from bot.knowledge import load_clinic

    assert load_clinic()["price_iv_infusion"] in texts(assistant.send("what do you charge per infusion"))


@pytest.mark.parametrize(
    "question",
    ["should I stop my xanax before the infusion?", "what dose of ketamine would I get?", "can i keep taking my zoloft"],
)
def test_personal_medical_advice_is_deferred_to_the_prescriber_or_clinician(assistant: Assistant, question: str) -> None:
    text = texts(assistant.send(question)).lower()
    assert "prescriber" in text or "clinician" in text
    assert "stop taking" not in text.replace("never stop taking", "").replace("don't stop taking", "")


@pytest.mark.parametrize("question", ["what's the capital of peru", "can you write my essay about the civil war"])
def test_questions_outside_the_knowledge_base_are_not_guessed(assistant: Assistant, question: str) -> None:
    sender = new_sender()
    text = texts(assistant.send(question, sender))
    assert "Sources:" not in text
    assert "outside what I can help with" in text or "don't have a reliable answer" in text
    assert assistant.slot(sender, "kb_entry") is None


def test_low_confidence_offers_two_topics_and_a_button_answers(assistant: Assistant) -> None:
    sender = new_sender()
    replies = assistant.send("ketamine", sender)
    buttons = [b for r in replies for b in r.get("buttons") or []]
    if not buttons:
        pytest.fail(f"expected two topic buttons for a vague question, got {texts(replies)!r}")
    assert len(buttons) == 2
    chosen = buttons[0]["payload"]
    answer = assistant.send(chosen, sender)
    assert "Sources:" in texts(answer)
    assert assistant.slot(sender, "kb_entry") in chosen


# Without the unknown-word check the first two were answered outright from insurance_coverage and payment_plans;
# the third from the therapy entry, while "tms" counted as known because another entry's answer mentions it.
@pytest.mark.parametrize(
    "question", ["does medicare cover hearing aids", "can i pay with venmo", "do you offer tms therapy"]
)
def test_a_question_with_a_word_the_assistant_never_saw_is_not_answered_outright(assistant: Assistant, question: str) -> None:
    """The closest topic to a question about something unknown is a guess: the visitor is asked, not answered."""
    sender = new_sender()
    replies = assistant.send(question, sender)
    assert "Sources:" not in texts(replies)
    assert len([b for r in replies for b in r.get("buttons") or []]) == 2


def test_a_misspelt_known_word_still_gets_its_answer(assistant: Assistant) -> None:
    sender = new_sender()
    assert "Sources:" in texts(assistant.send("how much does one infusoin cost?", sender))
    assert assistant.slot(sender, "kb_entry") == "cost_iv"
