"""The detector that OR-s the rules and the classifier: when the classifier's readings count as a crisis."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.classifier import TFIDF_RANKING_KEY
from bot.nlu.crisis_detector import CRISIS_INTENT, CrisisDetector

DETECTOR = CrisisDetector(CrisisDetector.get_default_config())


def message(combined: float, tfidf: float, other: float = 0.3) -> Message:
    """A message whose two rankings give the crisis intent these probabilities, beside another intent at `other`."""
    m = Message({TEXT: "a message"})
    m.set(INTENT, {"name": "chitchat", "confidence": other})
    m.set(INTENT_RANKING_KEY, [{"name": "chitchat", "confidence": other}, {"name": CRISIS_INTENT, "confidence": combined}])
    m.set(TFIDF_RANKING_KEY, [{"name": "chitchat", "confidence": other}, {"name": CRISIS_INTENT, "confidence": tfidf}])
    return m


@pytest.mark.parametrize(
    ("combined", "tfidf", "fired"),
    [
        (0.27, 0.1, True),  # the combined model's bar is low: a missed crisis costs more than a safety message
        (0.1, 0.45, True),  # either model alone is enough
        (0.2, 0.38, False),  # the words-only model over-fires on tiredness and goodbyes: it has the higher bar
        (0.1, 0.1, False),
    ],
)
def test_either_model_at_its_own_bar_escalates(combined: float, tfidf: float, fired: bool) -> None:
    m = message(combined, tfidf)
    assert DETECTOR.signal(m) == ("intent" if fired else None)
    DETECTOR.process([m])
    assert (m.get(INTENT)["name"] == CRISIS_INTENT) is fired


@pytest.mark.parametrize(
    ("combined", "other", "fired"),
    [
        (0.28, 0.6, False),  # a flat ranking for an unfamiliar message: another reading leads by far
        (0.28, 0.34, True),  # unsure, but the crisis reading is close to the top: escalate
        (0.33, 0.56, True),  # a third against more than half: still close enough
        (0.55, 0.45, True),  # leading
    ],
)
def test_a_weak_crisis_reading_must_be_close_to_the_leading_one(combined: float, other: float, fired: bool) -> None:
    assert (DETECTOR.signal(message(combined, 0.1, other)) == "intent") is fired


def test_the_words_only_model_at_its_bar_escalates_whatever_leads() -> None:
    assert DETECTOR.signal(message(0.1, 0.42, other=0.58)) == "intent"


def test_the_fallback_entry_is_not_a_reading_that_leads() -> None:
    m = message(0.27, 0.1, other=0.2)
    m.set(INTENT_RANKING_KEY, [{"name": "nlu_fallback", "confidence": 0.9}, *m.get(INTENT_RANKING_KEY)])
    assert DETECTOR.signal(m) == "intent"
