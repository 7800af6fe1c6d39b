"""The detector that OR-s the rules and the classifier: when the classifier's readings count as a crisis."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.classifier import TFIDF_RANKING_KEY
from bot.nlu.crisis_detector import CRISIS_INTENT, CrisisDetector

DETECTOR = CrisisDetector(CrisisDetector.get_default_config())


def message(combined: float, tfidf: float) -> Message:
    """A message whose two rankings give the crisis intent these probabilities, behind another intent."""
    m = Message({TEXT: "a message"})
    m.set(INTENT, {"name": "chitchat", "confidence": 0.5})
    m.set(INTENT_RANKING_KEY, [{"name": "chitchat", "confidence": 0.5}, {"name": CRISIS_INTENT, "confidence": combined}])
    m.set(TFIDF_RANKING_KEY, [{"name": "chitchat", "confidence": 0.5}, {"name": CRISIS_INTENT, "confidence": tfidf}])
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
