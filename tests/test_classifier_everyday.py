"""The intent classifier can read a message without the words of an everyday sense the crisis rules recognise.

It keeps whichever reading is less like a crisis (bot/nlu/classifier.py), so
"my sister will kill me if I miss her wedding" is not a crisis through "kill me",
which the classifier learnt from real crises.
"""

from __future__ import annotations

import pytest
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from spacy.language import Language

from bot import language
from bot.crisis.rules import everyday_tokens
from bot.nlu.classifier import _lemma_text, _text


@pytest.fixture(scope="module")
def nlp() -> Language:
    return language.build()


def message(nlp: Language, text: str) -> Message:
    return Message(data={TEXT: text, SPACY_DOCS[TEXT]: nlp(text)})


def test_the_second_reading_leaves_an_idiom_out(nlp: Language) -> None:
    m = message(nlp, "My sister will kill me if I miss her wedding, can I move my appointment?")
    skip = everyday_tokens(m.get(SPACY_DOCS[TEXT]))
    assert _text(m, skip) == "My I miss her wedding, can I move my appointment?"
    assert "kill" not in _lemma_text(m, skip).split()
    assert "appointment" in _lemma_text(m, skip).split()
    assert "kill" in _lemma_text(m).split()


def test_a_crisis_beside_an_everyday_sense_keeps_its_words(nlp: Language) -> None:
    text = "My phone died and honestly I want to die too"
    m = message(nlp, text)
    skip = everyday_tokens(m.get(SPACY_DOCS[TEXT]))
    assert _text(m, skip) == "My and honestly I want to die too"
