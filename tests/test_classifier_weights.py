"""The intent classifier weighs a message's words exactly as sklearn's TfidfVectorizer.transform would.

bot/nlu/classifier.py applies the tf-idf weights itself at prediction time (sklearn's
transform rebuilt the idf vector on every call); the features, and so every
prediction, must stay the same numbers.
"""

from __future__ import annotations

from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.classifier import ClinicIntentClassifier

TRAINING = [
    "how much does an infusion cost",
    "is ketamine addictive",
    "can i drive home after my session",
    "what is the difference between spravato and iv ketamine",
    "start the questionnaire",
    "i take sertraline and lamotrigine",
    "thanks so much",
]
UNSEEN = [
    "How much is IV ketamine?",
    "cna i drvie after",  # typos: only character n-grams match
    "sertraline 50mg",
    "",
    "!!!",
    "zzzz qqqq",
    "what does a session cost and can I drive home after it",
]


def test_prediction_features_are_sklearns_tfidf_features() -> None:
    config = {"embedding_weight": 0}
    classifier = ClinicIntentClassifier(config, None, None, ClinicIntentClassifier.new_vectorizers())  # type: ignore[arg-type]
    fitted, _ = classifier._vectorize([Message(data={TEXT: t}) for t in TRAINING], fit=True)
    assert fitted.shape[0] == len(TRAINING)
    for name in ("words", "chars"):
        texts = [t.lower() for t in UNSEEN + TRAINING]
        expected = classifier.state[name].transform(texts)
        ours = classifier._weights(name, texts)
        assert ours.shape == expected.shape
        assert (ours != expected).nnz == 0
        assert expected.nnz > 0
