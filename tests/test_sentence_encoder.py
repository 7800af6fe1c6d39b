"""The numpy forward pass of all-MiniLM-L6-v2 gives the model's published results.

The reference values are the cosine similarities that the sentence-transformers
documentation prints for this model on three example sentences (computed there
with torch). A mistake anywhere in the hand-written forward pass (attention
mask, GELU, layer norm, pooling) moves them.
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.sentence_encoder import DIMENSIONS, SentenceEncoder


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


def test_similarities_match_the_published_reference(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    similarities = vectors @ vectors.T
    assert similarities[0, 1] == pytest.approx(0.6660, abs=5e-4)
    assert similarities[0, 2] == pytest.approx(0.1046, abs=5e-4)
    assert similarities[1, 2] == pytest.approx(0.1411, abs=5e-4)


def test_vectors_are_unit_length_and_do_not_depend_on_the_batch(encoder: SentenceEncoder) -> None:
    texts = ["how much is an infusion", "a much longer message about whether my insurance will cover the nasal spray", ""]
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert together.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-5)


def test_a_paraphrase_is_closer_than_an_unrelated_question(encoder: SentenceEncoder) -> None:
    question, paraphrase, unrelated = encoder.encode(
        ["what does a ketamine infusion cost", "how pricey is the iv treatment", "can my dog come to the appointment"]
    )
    assert question @ paraphrase > question @ unrelated + 0.2


def test_a_very_long_message_is_truncated_not_rejected(encoder: SentenceEncoder) -> None:
    vector = encoder.encode(["word " * 2000])
    assert vector.shape == (1, DIMENSIONS) and np.isfinite(vector).all()
