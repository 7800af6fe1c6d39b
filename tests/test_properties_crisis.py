"""Properties of the crisis rule detector (bot/crisis/rules.py) for any text: it never raises and never wavers.

It reads every message on every channel, over-long ones window by window
(bot/channels/incoming.py), so an exception or a different answer for the same
text would silently lose a crisis.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from bot import language
from bot.crisis.rules import crisis_spans

NLP: Language = language.load()
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Words the patterns are made of, so that random messages come close to (and sometimes into) crisis phrases.
WORDS = ["i", "want", "to", "kill", "myself", "die", "not", "never", "my", "son", "he", "wants", "suicide", "pills",
         "took", "last", "night", "years", "ago", "?", ".", "don't", "live", "anymore", "end", "it", "all", "kms", "cutting"]  # fmt: skip
messages = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),  # channels replace lone UTF-16 halves first
    st.lists(st.sampled_from(WORDS) | st.text(alphabet=string.ascii_letters, max_size=6), max_size=30).map(" ".join),
)


def found(text: str) -> list[tuple[str, int, int]]:
    return [(span.label_, span.start_char, span.end_char) for span in crisis_spans(NLP(text))]


@FAST
@given(messages)
def test_the_detector_never_raises_and_gives_the_same_answer_every_time(text: str) -> None:
    first = found(text)
    assert found(text) == first
    assert all(0 <= start < end <= len(text) for _, start, end in first)


@FAST
@given(messages)
def test_the_same_words_in_capitals_are_read_the_same(text: str) -> None:
    assert bool(found(text.lower())) == bool(found(text.lower().upper().lower()))


@FAST
@given(st.sampled_from(["I want to kill myself", "i want to die", "I'm going to end my life tonight", "kms"]),
       st.sampled_from(["", "Hello. ", "I have a question about cost. ", "Thanks for your help. "]),
       st.sampled_from(["", " Please help.", " What should I do?", " I have the pills here."]))  # fmt: skip
def test_a_crisis_sentence_is_found_whatever_ordinary_sentences_surround_it(crisis: str, before: str, after: str) -> None:
    assert found(f"{before}{crisis}.{after}".lower())
