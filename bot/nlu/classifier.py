"""Classifies a message into an intent and, for FAQs, the knowledge-base entry that answers it.

One logistic regression over TF-IDF features (lemmas and character n-grams)
and a sentence embedding (all-MiniLM-L6-v2, see `sentence_encoder`), with each
knowledge-base entry as its own class (`faq/<id>`) beside the other intents.
TF-IDF alone knows only the training words; the embedding carries the meaning
of unseen phrasing, which lifted FAQ accuracy and cut crisis false alarms on
look-alikes in cross-validation on the training data. Chosen over
Rasa's LogisticRegressionClassifier + ResponseSelector by measurement (`make
bench`): Rasa's classifier weighs classes "balanced" with strong
regularisation, which pushed a third of the FAQ paraphrases to other intents
and many ordinary questions into the crisis intent; this model trains in
seconds and loads without TensorFlow. It writes the same `response_selector`
output that Rasa's built-in `utter_faq` reads, plus two entities:

- `kb_entry`: the chosen entry id (stored in the slot of that name, so staff and
  tests can see which entry answered);
- `kb_confidence`: `high` (answer), `low` (offer the two likeliest topics).

A question with a word the assistant has not seen in the knowledge base's
training questions or in the answer it would give, and that is not a typo of one
it has ("does medicare cover hearing aids"), is never answered outright: its
closest topic is a guess about a subject the knowledge base may not cover, so it
gets the two likeliest topics instead. A word that only some other answer, or
only another intent's examples, mentions does not count as known: "tms" appears
in the referral entry's list of past treatments and in a long crisis example,
which did not make "do you offer tms therapy" a question the therapy entry answers.

When no training question is close enough to an FAQ, the intent becomes
`nlu_fallback` and the assistant says it does not know instead of guessing.
"""

from __future__ import annotations

import pickle
import re
from difflib import get_close_matches
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from spacy.tokens import Doc

from bot.crisis import CRISIS_INTENT
from bot.crisis.rules import everyday_tokens
from bot.nlu.sentence_encoder import SentenceEncoder

RETRIEVAL_INTENT = "faq"
FALLBACK_INTENT = "nlu_fallback"
FAQ_PREFIX = RETRIEVAL_INTENT + "/"
DENIAL_INTENT = "deny_crisis"
# The intent ranking of the TF-IDF-only model, read by the crisis detector (see `train`).
TFIDF_RANKING_KEY = "tfidf_intent_ranking"


def _lemma_text(message: Message, skip: frozenset[int] = frozenset()) -> str:
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is None:
        return (message.get(TEXT) or "").lower()
    return " ".join((t.lemma_ or t.text).lower() for t in doc if not t.is_punct and t.i not in skip)


def _text(message: Message, skip: frozenset[int] = frozenset()) -> str:
    doc = message.get(SPACY_DOCS[TEXT])
    if not skip or doc is None:
        return message.get(TEXT) or ""
    return "".join(t.text_with_ws for t in doc if t.i not in skip)


def _crisis_confidence(ranking: list[dict[str, Any]]) -> float:
    return next((r["confidence"] for r in ranking if r["name"] == CRISIS_INTENT), 0.0)


def _intents(classes: list[str], probabilities: np.ndarray) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Intents by probability (the knowledge-base entries summed into one `faq`), and the entries themselves."""
    intents: dict[str, float] = {}
    topics: list[tuple[str, float]] = []
    for label, p in zip(classes, probabilities, strict=True):
        intent = RETRIEVAL_INTENT if label.startswith(FAQ_PREFIX) else label
        intents[intent] = intents.get(intent, 0.0) + float(p)
        if label.startswith(FAQ_PREFIX):
            topics.append((label[len(FAQ_PREFIX) :], float(p)))
    return sorted(intents.items(), key=lambda item: item[1], reverse=True), topics


def _questions_beside(message: Message) -> Message | None:
    """The questions of a message that also says something else, as a message of their own.

    "I have no thoughts of harming myself. How long is an infusion?" reads as a denial as a whole, and the denial's
    reply would leave the question unanswered.
    """
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is None:
        return None
    sentences = list(doc.sents)
    questions = [s for s in sentences if s.text.rstrip().endswith("?")]
    if not questions or len(questions) == len(sentences):
        return None
    question_doc = Doc.from_docs([s.as_doc() for s in questions])
    return Message(data={TEXT: question_doc.text, SPACY_DOCS[TEXT]: question_doc})


@lru_cache(maxsize=1)
def _encoder() -> SentenceEncoder:
    """One encoder per process: the weights are 90 MB and read-only."""
    return SentenceEncoder()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ClinicIntentClassifier(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation of the logistic regression.
            "C": 20.0,
            # Scale of the (unit-length) sentence embedding beside the (unit-length) TF-IDF vector; 0 turns it off.
            "embedding_weight": 1.0,
            # Below this cosine similarity to every FAQ training question, nothing fits ...
            "min_similarity": 0.32,
            # ... unless the sentence embedding is closer to one than this share of the messages
            # of these intents are (the threshold is measured on the training data at training time).
            "embedding_gate_percentile": 98,
            "embedding_gate_intents": ["out_of_scope", "chitchat"],
            # At or above this probability (and margin) the top entry answers alone.
            "answer_confidence": 0.35,
            "answer_margin": 0.12,
            # An unseen word at least this long that is this similar (difflib ratio) to no known word keeps
            # the answer at `low`: shorter words are mostly abbreviations the model handles by context.
            "unknown_word_min_length": 3,
            "typo_similarity": 0.8,
            # A shorter unseen word is no typo: at 0.8 a three-letter word "matches" any word sharing two letters
            # in a row ("tms" matched "ms", and "do you offer tms therapy" was answered by the therapy entry).
            "typo_min_length": 4,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self._storage = model_storage
        self._resource = resource
        self.state = state
        self._idf: dict[str, sp.csr_matrix] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ClinicIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ClinicIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                state = pickle.loads((directory / "classifier.pkl").read_bytes())
        except (ValueError, FileNotFoundError):
            state = None
        for name in ("classifier", "tfidf_classifier"):
            if state is not None and state.get(name) is not None:
                # Stored column-major, the weights' transpose that predict_proba multiplies by is contiguous:
                # without this scipy copied the whole matrix on every message (3-4 ms; 0.06 ms with it, same numbers).
                state[name].coef_ = np.asfortranarray(state[name].coef_)
        return cls(config, model_storage, resource, state)

    @staticmethod
    def new_vectorizers() -> dict[str, TfidfVectorizer]:
        """Lemma uni- and bigrams, and character n-grams of the raw text (typos, medication names)."""
        return {
            "words": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            # A character n-gram seen in one training question only fits that question: dropping them removes 40% of the
            # character features and cuts `make train` from 180 to 108 s, with the same held-out figures (`make bench`).
            "chars": TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        }

    def _weights(self, name: str, texts: list[str]) -> sp.csr_matrix:
        """What `TfidfVectorizer.transform` returns (sublinear tf, idf, l2), with the idf vector read once.

        sklearn's transform rebuilds the idf vector from a diagonal matrix on every call
        to check that the model is fitted: about 1 ms per message for the two vectorizers.
        """
        vectorizer = self.state[name]
        idf = self._idf.get(name)
        if idf is None:
            idf = self._idf[name] = sp.diags(vectorizer.idf_, format="csr")
        counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
        np.log(counts.data, counts.data)
        counts.data += 1
        return normalize(counts @ idf)

    def _vectorize(
        self, messages: list[Message], fit: bool = False, skip: frozenset[int] = frozenset()
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The classifier's features, and the TF-IDF part alone (the FAQ similarity gate reads that).

        `skip` leaves out tokens of a single message (see `_classify`).
        """
        lemmas = [_lemma_text(m, skip) for m in messages]
        texts = [_text(m, skip) for m in messages]
        raw = [t.lower() for t in texts]
        if fit:
            parts = [self.state["words"].fit_transform(lemmas), self.state["chars"].fit_transform(raw)]
        else:
            parts = [self._weights("words", lemmas), self._weights("chars", raw)]
        tfidf = normalize(sp.hstack(parts).tocsr())
        weight = float(self.config["embedding_weight"])
        if not weight:
            return tfidf, tfidf
        embeddings = _encoder().encode(texts) * weight
        return sp.hstack([tfidf, sp.csr_matrix(embeddings)]).tocsr(), tfidf

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT)]
        labels = []
        for message in examples:
            key = message.get(INTENT_RESPONSE_KEY) or ""
            labels.append(key if message.get(INTENT) == RETRIEVAL_INTENT and "/" in key else message.get(INTENT))
        self._idf = {}
        self.state = self.new_vectorizers()
        matrix, tfidf = self._vectorize(examples, fit=True)
        classifier = LogisticRegression(C=self.config["C"], max_iter=3000)
        classifier.fit(matrix, labels)
        faq_rows = [i for i, label in enumerate(labels) if label.startswith(FAQ_PREFIX)]
        self.state.update(classifier=classifier, faq_matrix=tfidf[faq_rows], tfidf_classifier=None, faq_embeddings=None)
        self.state["vocabulary"] = self._question_vocabulary([examples[i] for i in faq_rows])
        self.state["entry_vocabulary"] = self._answer_vocabulary(training_data)
        if matrix is not tfidf:
            # The embedding made the combined model miss crisis messages the TF-IDF-only model
            # caught (`make bench`), so that model is kept beside it and the crisis detector
            # listens to both: a missed crisis costs more than an extra safety message.
            self.state["tfidf_classifier"] = LogisticRegression(C=self.config["C"], max_iter=3000).fit(tfidf, labels)
            embeddings = matrix[:, tfidf.shape[1] :].toarray() / float(self.config["embedding_weight"])
            self.state["faq_embeddings"] = embeddings[faq_rows]
            self.state["embedding_gate"] = self._embedding_gate(embeddings, labels, faq_rows)
        with self._storage.write_to(self._resource) as directory:
            (directory / "classifier.pkl").write_bytes(pickle.dumps(self.state))
        return self._resource

    @staticmethod
    def _question_vocabulary(examples: list[Message]) -> frozenset[str]:
        """Every word of the knowledge base's training questions, as written and as lemmas."""
        words: set[str] = set()
        for message in examples:
            words.update(_lemma_text(message).split())
            words.update(re.findall(r"[a-z]+", (message.get(TEXT) or "").lower()))
        return frozenset(words)

    @staticmethod
    def _answer_vocabulary(training_data: TrainingData) -> dict[str, frozenset[str]]:
        """The words of each entry's answers (web and SMS), by entry id."""
        prefix = f"utter_{FAQ_PREFIX}"
        return {
            name[len(prefix) :]: frozenset(
                word for response in variations for word in re.findall(r"[a-z]+", (response.get("text") or "").lower())
            )
            for name, variations in training_data.responses.items()
            if name.startswith(prefix)
        }

    def _has_unknown_word(self, message: Message, entry: str) -> bool:
        questions = self.state.get("vocabulary")
        doc = message.get(SPACY_DOCS[TEXT])
        if not questions or doc is None:
            return False
        vocabularies = (questions, self.state["entry_vocabulary"].get(entry, frozenset()))
        for token in doc:
            word = token.lower_
            if not token.is_alpha or token.is_stop or len(word) < self.config["unknown_word_min_length"]:
                continue
            if any(word in words or token.lemma_.lower() in words for words in vocabularies):
                continue
            if len(word) < self.config["typo_min_length"]:
                return True
            if not any(get_close_matches(word, words, n=1, cutoff=self.config["typo_similarity"]) for words in vocabularies):
                return True
        return False

    def _embedding_gate(self, embeddings: np.ndarray, labels: list[str], faq_rows: list[int]) -> float:
        negatives = [i for i, label in enumerate(labels) if label in self.config["embedding_gate_intents"]]
        if not negatives:
            return 1.0
        nearest = (embeddings[negatives] @ embeddings[faq_rows].T).max(axis=1)
        return float(np.percentile(nearest, self.config["embedding_gate_percentile"]))

    def process(self, messages: list[Message]) -> list[Message]:
        if self.state is None:
            return messages
        for message in messages:
            self._classify(message)
        return messages

    def _classify(self, message: Message) -> None:
        vector, tfidf = self._vectorize([message])
        probabilities = self.state["classifier"].predict_proba(vector)[0]
        classes = [str(c) for c in self.state["classifier"].classes_]
        doc = message.get(SPACY_DOCS[TEXT])
        everyday = everyday_tokens(doc) if doc is not None else frozenset()
        tfidf_readings = [tfidf]
        if everyday and CRISIS_INTENT in classes:
            # The crisis rules read some words in an everyday sense ("my sister will kill me if I miss
            # her wedding", "over my dead body"), and the classifier learnt those words from real
            # crises. The message is read again without them, and for each model the reading less
            # like a crisis is kept: an idiom never lowers a crisis the rest of the message states.
            masked_vector, masked_tfidf = self._vectorize([message], skip=everyday)
            masked = self.state["classifier"].predict_proba(masked_vector)[0]
            crisis = classes.index(CRISIS_INTENT)
            tfidf_readings.append(masked_tfidf)
            if masked[crisis] < probabilities[crisis]:
                vector, tfidf, probabilities = masked_vector, masked_tfidf, masked
        ranking, topics = _intents(classes, probabilities)
        asked = message
        question = _questions_beside(message) if ranking[0][0] == DENIAL_INTENT else None
        if question is not None:
            # A denial with a question beside it ("I'm not suicidal. How much does it cost?") gets the question
            # answered, as a question alone would be. The crisis reading never drops below the whole message's.
            question_vector, question_tfidf = self._vectorize([question])
            question_ranking, question_topics = _intents(classes, self.state["classifier"].predict_proba(question_vector)[0])
            if question_ranking[0][0] == RETRIEVAL_INTENT:
                crisis = max(dict(ranking).get(CRISIS_INTENT, 0.0), dict(question_ranking).get(CRISIS_INTENT, 0.0))
                ranking = sorted(
                    [(n, crisis if n == CRISIS_INTENT else c) for n, c in question_ranking], key=lambda item: item[1], reverse=True
                )
                vector, tfidf, topics, asked = question_vector, question_tfidf, question_topics, question
        message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking[:10]], add_to_output=True)
        if self.state.get("tfidf_classifier") is not None:
            rankings = [self._tfidf_ranking(reading) for reading in tfidf_readings]
            message.set(TFIDF_RANKING_KEY, min(rankings, key=_crisis_confidence))
        if ranking[0][0] == RETRIEVAL_INTENT:
            similarity = float((self.state["faq_matrix"] @ tfidf.T).max()) if tfidf.nnz else 0.0
            if self.state.get("faq_embeddings") is not None:
                embedding = vector[:, tfidf.shape[1] :].toarray()[0] / float(self.config["embedding_weight"])
                if float((self.state["faq_embeddings"] @ embedding).max()) >= self.state["embedding_gate"]:
                    similarity = max(similarity, self.config["min_similarity"])
            self._answer(message, sorted(topics, key=lambda item: item[1], reverse=True), similarity, asked)

    def _tfidf_ranking(self, tfidf: sp.csr_matrix) -> list[dict[str, Any]]:
        model = self.state["tfidf_classifier"]
        intents: dict[str, float] = {}
        for label, p in zip(model.classes_, model.predict_proba(tfidf)[0], strict=True):
            intent = RETRIEVAL_INTENT if str(label).startswith(FAQ_PREFIX) else str(label)
            intents[intent] = intents.get(intent, 0.0) + float(p)
        ranking = sorted(intents.items(), key=lambda item: item[1], reverse=True)
        return [{"name": n, "confidence": c} for n, c in ranking[:10]]

    def _answer(self, message: Message, topics: list[tuple[str, float]], similarity: float, asked: Message) -> None:
        """`asked` is the part of `message` that the answer is for: its words decide whether the answer is sure."""
        if similarity < self.config["min_similarity"]:
            message.set(INTENT, {"name": FALLBACK_INTENT, "confidence": 1.0 - similarity}, add_to_output=True)
            return
        total = sum(p for _, p in topics) or 1.0
        (top, top_p), (_, second_p) = [(t, p / total) for t, p in topics[:2]]
        confident = (
            top_p >= self.config["answer_confidence"]
            and top_p - second_p >= self.config["answer_margin"]
            and not self._has_unknown_word(asked, top)
        )
        message.set(
            "response_selector",
            {
                "all_retrieval_intents": [RETRIEVAL_INTENT],
                RETRIEVAL_INTENT: {
                    "response": {
                        "intent_response_key": f"{FAQ_PREFIX}{top}",
                        "utter_action": f"utter_{FAQ_PREFIX}{top}",
                        "confidence": top_p,
                        "similarity": similarity,
                    },
                    "ranking": [
                        {"intent_response_key": f"{FAQ_PREFIX}{entry}", "confidence": p / total} for entry, p in topics[:5]
                    ],
                },
            },
            add_to_output=True,
        )
        entities = [e for e in message.get(ENTITIES, []) if e.get("entity") not in {"kb_entry", "kb_confidence"}]
        entities += [
            {"entity": "kb_entry", "value": top, "extractor": type(self).__name__},
            {"entity": "kb_confidence", "value": "high" if confident else "low", "extractor": type(self).__name__},
        ]
        message.set(ENTITIES, entities, add_to_output=True)
