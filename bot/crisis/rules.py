"""The rule-based crisis detector, a spaCy pipeline component.

It is one of two independent detectors (the other is the trained intent), so it
must not depend on the classifier: it reads only the lemmas the project's own
pipeline produces and the phrases in `patterns.yml`. It errs towards
escalation; the cues it uses to stand down (negation, a question *about*
suicide, a questionnaire item named rather than answered, someone else's worry
taken back, a clearly resolved past) are narrow and listed in the same file.
"""

# No `from __future__ import annotations`: spaCy resolves factory type hints at runtime.
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

# The pipeline this component runs in lemmatizes with it; importing it here registers it wherever the pipeline is loaded.
import bot.lemmatizer  # noqa: F401

PATTERNS_FILE = Path(__file__).with_name("patterns.yml")
SPAN_KEY = "crisis"
# The everyday senses found (`look_alikes` in patterns.yml, and absences with a reason): the intent classifier also
# reads a message without them.
EVERYDAY_KEY = "everyday"
_GAP = "..."
_NUMBER = "#"
# Texting writes these for "to" and "for" ("i want 2 kms"): no number then.
_NUMBERS_FOR_WORDS = ["2", "4"]
# A pattern word such as "[MEDICATION]": any token of that entity type (the pipeline's entity ruler).
_ENTITY = re.compile(r"\[[A-Z_]+\]")

if not Token.has_extension("cnorm"):
    Token.set_extension("cnorm", default=None)


@dataclass(frozen=True)
class Group:
    name: str
    person: str
    negatable: bool


def load_patterns(path: Path = PATTERNS_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def compile_patterns(data: dict[str, Any], lemmatize: Callable[[str], list[str]]) -> dict[str, Any]:
    """Turn the human-readable phrases into Matcher token patterns.

    Phrase words are lemmatised with the same pipeline that will read messages,
    so a phrase written as "wants to die" still matches "wanted to die".
    """
    # A spelling stands for its word's lemma, as every phrase word does: "mor" for "more", whose lemma is "much".
    spellings = {
        str(variant).lower(): lemmatize(str(canon))[0] for canon, variants in data["spellings"].items() for variant in variants
    }

    def norm(word: str) -> list[str]:
        return [spellings.get(w, w) for w in lemmatize(word)]

    lists = {name: sorted({n for word in words for n in norm(str(word))}) for name, words in data["lists"].items()}

    def pattern(phrase: str) -> list[dict[str, Any]]:
        tokens: list[dict[str, Any]] = []
        for part in phrase.split():
            if part == _GAP:
                tokens.extend({"OP": "?"} for _ in range(3))
            elif re.fullmatch(r"\{\w+\}", part):
                tokens.append({"_": {"cnorm": {"IN": lists[part[1:-1]]}}})
            elif _ENTITY.fullmatch(part):
                tokens.append({"ENT_TYPE": part[1:-1]})
            elif part == _NUMBER:
                tokens.append({"LIKE_NUM": True, "LOWER": {"NOT_IN": _NUMBERS_FOR_WORDS}})
            elif part.startswith("="):
                tokens.append({"LOWER": part[1:].lower()})
            else:
                tokens.extend({"_": {"cnorm": n}} for n in norm(part))
        return tokens

    groups = {
        name: {
            "person": group["person"],
            "negatable": group["negatable"],
            "patterns": [pattern(str(phrase)) for phrase in group["phrases"]],
        }
        for name, group in data["groups"].items()
    }

    def words(key: str) -> list[str]:
        return sorted({n for w in data[key] for n in norm(str(w))})

    def sequences(key: str) -> list[list[str]]:
        return [norm(str(phrase)) for phrase in data[key]]

    def sequences_with_entities(key: str) -> list[list[str]]:
        """Like `sequences`, with an entity label such as "[MEDICATION]" kept as it is."""
        return [
            [n for part in str(phrase).split() for n in ([part] if _ENTITY.fullmatch(part) else norm(part))]
            for phrase in data[key]
        ]

    return {
        "spellings": spellings,
        "groups": groups,
        "look_alikes": [pattern(str(phrase)) for phrase in data["look_alikes"]],
        "denials_after": sequences("denials_after"),
        "clause_enders": words("clause_enders"),
        "resolved_window": int(data["resolved_window"]),
        "present_cue_exceptions": sequences("present_cue_exceptions"),
        "item_nouns": words("item_nouns"),
        "item_cues": sequences("item_cues"),
        "cue_window": int(data["cue_window"]),
        "affirmations": sequences("affirmations"),
        "hypothetical_openers": [str(w).lower() for w in data["hypothetical_openers"]],
        "answer_verbs": [str(w).lower() for w in data["answer_verbs"]],
        "worry_verbs": words("worry_verbs"),
        "worry_denials": sequences("worry_denials"),
        "denial_adverbs": words("denial_adverbs"),
        "first_person_subjects": [str(w).lower() for w in data["first_person_subjects"]],
        "subject_helpers": [str(w).lower() for w in data["subject_helpers"]],
        "dropped_subject_leads": words("dropped_subject_leads"),
        "topic_openers": words("topic_openers"),
        "contrasts": words("contrasts"),
        "past_cues": sequences("past_cues"),
        "open_past_cues": sequences("open_past_cues"),
        "past_age_cues": sequences("past_age_cues"),
        "age_then_cues": sequences("age_then_cues"),
        "age_then_min": int(data["age_then_min"]),
        "age_gap": int(data["age_gap"]),
        "age_subjects": [str(w).lower() for w in data["age_subjects"]],
        "not_ages": words("not_ages"),
        "present_cue_phrases_not_present": sequences_with_entities("present_cue_phrases_not_present"),
        "away_phrases": sequences("away_phrases"),
        "away_reasons": sequences("away_reasons"),
        "finality_cues": sequences("finality_cues"),
        "dating_openers": sequences("dating_openers"),
        "back_references": sequences("back_references"),
        "own_sentence_present_cues": [str(w).lower() for w in data["own_sentence_present_cues"]],
        "present_cues": words("present_cues"),
        "negations": words("negations"),
        "negation_exceptions": words("negation_exceptions"),
        "negation_fillers": words("negation_fillers"),
        "clause_taking": words("clause_taking"),
        "item_clause_breaks": [str(w).lower() for w in data["item_clause_breaks"]],
        "clause_breaks": [str(w).lower() for w in data["clause_breaks"]],
        "present_copulas": [str(w).lower() for w in data["present_copulas"]],
        "present_forms": [str(w).lower() for w in data["present_forms"]],
        "coordinators": [str(w).lower() for w in data["coordinators"]],
        "resolved_states": words("resolved_states"),
        "past_year_min_age": int(data["past_year_min_age"]),
        "topic_terms": [norm(str(t)) for t in data["topic_terms"]],
        "topics": words("topics"),
        "question_topics": words("question_topics"),
        "question_words": [str(w).lower() for w in data["question_words"]],
        "first_person": sorted({str(w).lower() for w in data["first_person"]}),
        "close": lists["close"],
        "possessive": lists["possessive"],
    }


class CrisisMatcher:
    """Marks crisis phrases in `doc.spans["crisis"]`, labelled with their group."""

    def __init__(self, nlp: Language, name: str = "crisis_matcher") -> None:
        self.nlp = nlp
        self.name = name
        self.compiled: dict[str, Any] = {}
        self.matcher = Matcher(nlp.vocab)
        self.look_alike_matcher = Matcher(nlp.vocab)

    def build(self, data: dict[str, Any]) -> None:
        def lemmatize(text: str) -> list[str]:
            doc = self.nlp.get_pipe("lemmatizer")(self.nlp.make_doc(text))
            return [(t.lemma_ or t.text).lower() for t in doc]

        self._load(compile_patterns(data, lemmatize))

    def _load(self, compiled: dict[str, Any]) -> None:
        self.compiled = compiled
        # The word lists as sets, for membership tests on every token.
        self.words: dict[str, frozenset[str]] = {
            key: frozenset(value)
            for key, value in compiled.items()
            if isinstance(value, list) and all(isinstance(item, str) for item in value)
        }
        self.matcher = Matcher(self.nlp.vocab)
        for name, group in compiled["groups"].items():
            self.matcher.add(name, group["patterns"])
        self.look_alike_matcher = Matcher(self.nlp.vocab)
        self.look_alike_matcher.add("look_alike", compiled["look_alikes"])
        self.groups = {n: Group(n, g["person"], g["negatable"]) for n, g in compiled["groups"].items()}

    def __call__(self, doc: Doc) -> Doc:
        spellings = self.compiled["spellings"]
        for token in doc:
            lower = token.lower_
            token._.cnorm = spellings.get(lower) or spellings.get((token.lemma_ or lower).lower()) or (
                token.lemma_ or lower
            ).lower()
        matches = list(self._matches(doc))
        ordinary = [(start, end) for _, start, end in self.look_alike_matcher(doc)]
        # An absence with a reason is everyday in the same way, so the classifier also reads "I won't be here
        # Monday, I'm out of town" without "won't be here", which it learnt from farewells.
        ordinary += [(span.start, span.end) for span in matches if self._away_for_a_reason(doc, span)]
        # A crisis phrase dated in the past, in a message with nothing said of now ("tried to end it back in 2015,
        # glad it didn't work. life is good now"), is history the intake asks for: the classifier reads it without.
        ordinary += [(span.start, span.end) for span in matches if self._in_the_past(doc, span)]
        doc.spans[EVERYDAY_KEY] = [Span(doc, start, end, label=EVERYDAY_KEY) for start, end in ordinary]
        doc.spans[SPAN_KEY] = [
            span
            for span in matches
            if self._counts(doc, span) and not any(start < span.end and span.start < end for start, end in ordinary)
        ]
        return doc

    def _matches(self, doc: Doc) -> Iterable[Span]:
        seen: set[tuple[int, int, int]] = set()
        for match_id, start, end in self.matcher(doc):
            key = (match_id, start, end)
            if key not in seen:
                seen.add(key)
                yield Span(doc, start, end, label=self.nlp.vocab.strings[match_id])

    def _counts(self, doc: Doc, span: Span) -> bool:
        group = self.groups[span.label_]
        sentence = _sentence(doc, span)
        lowers = {t.lower_ for t in sentence}
        first = bool(lowers & self.words["first_person"])
        close = any(self._someone_close(sentence, t) for t in sentence)
        if group.person == "first" and not (first or self._subject_dropped(doc, span, sentence) or self._answered(sentence)):
            return False
        if group.person == "third" and not close:
            return False
        if group.negatable and (self._negated(doc, span) or self._denied_after(doc, span) or self._worry_taken_back(doc, span)):
            return False
        if self._names_an_item(doc, span):
            return False
        if self._in_the_past(doc, span):
            return False
        if group.person == "first" and self._about_the_topic(sentence, span):
            return False
        return not (self._is_question(sentence) and not first and not close)

    def _subject_dropped(self, doc: Doc, span: Span, sentence: Span) -> bool:
        """A text that leaves out its "I" ("cant do this anymore", "wanna die tbh") speaks in the first person.

        Not one that opens with a noun: "suicidal thoughts on ketamine" or "overdose risk" names a topic.
        """
        if span[0]._.cnorm in self.words["topic_openers"]:
            return False
        return all(token._.cnorm in self.words["dropped_subject_leads"] for token in doc[sentence.start : span.start])

    def _someone_close(self, sentence: Span, token: Token) -> bool:
        """A close person, not a group: "my son", "my kids", "a friend", but not "teens" or "parents" in general."""
        if token._.cnorm not in self.words["close"]:
            return False
        singular = token.lower_ == token._.cnorm
        possessed = any(t._.cnorm in self.words["possessive"] for t in sentence.doc[max(sentence.start, token.i - 3) : token.i])
        return singular or possessed

    def _negated(self, doc: Doc, span: Span) -> bool:
        breaks = self.words["clause_breaks"]
        sentence_start = _sentence(doc, span).start
        if span.start == sentence_start:
            return False  # nothing before the phrase in its sentence can negate it
        subject = span.start - 1
        while subject > sentence_start and doc[subject].lower_ in self.words["subject_helpers"]:
            subject -= 1
        if self._new_subject(doc, doc[subject], sentence_start):
            return False
        counted = 0
        for i in range(span.start - 1, max(sentence_start, span.start - 8) - 1, -1):
            token = doc[i]
            coordinated = i == span.start - 1 and token.lower_ in self.words["coordinators"]
            if (token.lower_ in breaks or token._.cnorm in breaks) and not coordinated:
                return False
            if self._negation(token):
                following = doc[i + 1]._.cnorm if i + 1 < len(doc) else ""
                return following not in self.words["negation_exceptions"]
            counted += token._.cnorm not in self.words["negation_fillers"]
            if counted >= 4:
                return False
        return False

    def _new_subject(self, doc: Doc, token: Token, sentence_start: int) -> bool:
        """An "I" that opens a new clause: "I don't want treatment I want to be dead", "if this doesn't work I'll end it",
        not "don't think I want to die".
        """
        if token.lower_ not in self.words["first_person_subjects"] or token.i <= sentence_start:
            return False
        before = doc[token.i - 1]
        return before._.cnorm not in self.words["clause_taking"] and not self._negation(before)

    def _denied_after(self, doc: Doc, span: Span) -> bool:
        """ "I'm suicidal but I'm not": the phrase is taken back by a denial that ends its clause."""
        end = _sentence(doc, span).end
        following = [t for t in doc[span.end : end] if not t.is_punct]
        return any(self._denial_ends_clause(following, 0, denial, end) for denial in self.compiled["denials_after"])

    def _denial_ends_clause(self, tokens: list[Token], index: int, denial: list[str], end: int) -> bool:
        """`denial` starts at `tokens[index]` and nothing goes on after it in its clause ("...but I'm not, I'm just tired")."""
        n = len(denial)
        if [t._.cnorm for t in tokens[index : index + n]] != denial:
            return False
        after = tokens[index + n - 1].i + 1
        doc = tokens[0].doc
        return after >= end or doc[after].is_punct or doc[after]._.cnorm in self.words["clause_enders"]

    def _worry_taken_back(self, doc: Doc, span: Span) -> bool:
        """ "My wife worries I'll hurt myself, but I'm honestly nowhere near that": someone else's worry, denied later."""
        sentence = _sentence(doc, span)
        before = doc[max(sentence.start, span.start - self.compiled["cue_window"]) : span.start]
        if not any(t._.cnorm in self.words["worry_verbs"] and not self._said_by_me(t) for t in before):
            return False
        adverbs = self.words["denial_adverbs"]
        following = [t for t in doc[span.end :] if not t.is_punct and t._.cnorm not in adverbs]
        for index, token in enumerate(following):
            if any(self._denial_ends_clause(following, index, denial, len(doc)) for denial in self.compiled["worry_denials"]):
                return not any(t._.cnorm in self.words["contrasts"] for t in doc[token.i :])
        return False

    def _said_by_me(self, verb: Token) -> bool:
        """The writer's own fear ("I'm scared I'll hurt myself") is no one else's worry."""
        return any(t.lower_ in self.words["first_person_subjects"] for t in verb.doc[max(0, verb.i - 3) : verb.i])

    def _names_an_item(self, doc: Doc, span: Span) -> bool:
        """The phrase names a questionnaire item ("the self-harm question", "asked if I'd thought about killing myself")."""
        norms = [t._.cnorm for t in doc]
        if any(self._affirmed(doc, start) for affirmation in self.compiled["affirmations"] for start in _starts(norms, affirmation)):
            return False
        sentence = _sentence(doc, span)
        for token in doc[span.end : min(sentence.end, span.end + 2)]:
            if token.is_punct:
                break
            if token._.cnorm in self.words["item_nouns"]:
                return True
        window = self.compiled["cue_window"]
        start = max(sentence.start, span.start - window - max(map(len, self.compiled["item_cues"])))
        # The cue must be in the phrase's own clause: "they asked me if I was fine and honestly I want to die",
        # but "I answered no to self-harm and suicidal thoughts" is one clause.
        subjects = self.words["first_person_subjects"]
        for i in range(span.start - 1, start - 1, -1):
            if doc[i].lower_ in self.words["item_clause_breaks"] and any(t.lower_ in subjects for t in doc[i + 1 : span.start]):
                start = i + 1
                break
        return any(
            _contains(norms[max(start, span.start - window - len(cue)) : span.start], cue) for cue in self.compiled["item_cues"]
        )

    def _away_for_a_reason(self, doc: Doc, span: Span) -> bool:
        """ "I won't be here Monday, I'm out of town": an absence with a reason to come back, and no word of a last goodbye."""
        if [t._.cnorm for t in span] not in self.compiled["away_phrases"]:
            return False
        norms = [t._.cnorm for t in doc]
        reason = any(_contains(norms, cue) for cue in self.compiled["away_reasons"])
        return reason and not any(_contains(norms, cue) for cue in self.compiled["finality_cues"])

    def _answered(self, sentence: Span) -> bool:
        """An item answered yes is the writer's own answer: "The question 'any suicide attempts in the last 12 months' - yes."

        Not in a question, and not beside a "no", which may be the item's answer: "Depressed yes, suicidal no."
        """
        if sentence.text.rstrip().endswith("?") or any(self._negation(t) for t in sentence):
            return False
        norms = [t._.cnorm for t in sentence]
        return any(
            self._affirmed(sentence.doc, sentence.start + start)
            for affirmation in self.compiled["affirmations"]
            for start in _starts(norms, affirmation)
        )

    def _affirmed(self, doc: Doc, start: int) -> bool:
        """An affirmation given, not asked about: "if I answer yes" and "will saying yes mean..." give none."""
        if start == 0 or doc[start - 1].lower_ not in self.words["answer_verbs"]:
            return True
        return not any(t.lower_ in self.words["hypothetical_openers"] for t in doc[max(0, start - 4) : start - 1])

    def _in_the_past(self, doc: Doc, span: Span) -> bool:
        return self._about_the_past(doc, _sentence(doc, span)) and not self._said_in_the_present(doc, span)

    def _said_in_the_present(self, doc: Doc, span: Span) -> bool:
        """ "I tried to kill myself in 2019 and I want to die": a wish in the present tense is about now, whatever the sentence dates."""
        lead = span[0]
        if self._negation(lead) and span.start > 0:
            lead = doc[span.start - 1]
        return lead.lower_ in self.words["present_forms"]

    def _about_the_past(self, doc: Doc, sentence: Span) -> bool:
        own_sentence = self.words["own_sentence_present_cues"]
        if any(self._present_cue(doc, t) for t in doc if t.lower_ not in own_sentence or sentence.start <= t.i < sentence.end):
            return False
        return self._has_past_cue(sentence) or self._dated_by_next(doc, sentence) or self._dated_by_previous(doc, sentence)

    def _has_past_cue(self, sentence: Span) -> bool:
        return (
            any(self._past_cue_in(sentence, cue) for cue in self.compiled["past_cues"])
            or any(self._open_past_cue_in(sentence, cue) for cue in self.compiled["open_past_cues"])
            or any(self._past_year(t) for t in sentence)
            or any(self._past_age(sentence, cue) for cue in self.compiled["past_age_cues"])
            or self._age_then(sentence)
        )

    def _dated_by_next(self, doc: Doc, sentence: Span) -> bool:
        """The next sentence says when: "... tried to hurt myself. It was 12 years ago." """
        if sentence.end >= len(doc):
            return False
        following = doc[sentence.end].sent
        opening = [t._.cnorm for t in following[:2]]
        return (opening in self.compiled["dating_openers"] or self._over_since(following)) and self._has_past_cue(following)

    def _over_since(self, sentence: Span) -> bool:
        """ "I've been stable since 2014": a state of being well, and since when."""
        norms = [t._.cnorm for t in sentence]
        return any(a in self.words["resolved_states"] and b == "since" for a, b in zip(norms, norms[1:], strict=False))

    def _dated_by_previous(self, doc: Doc, sentence: Span) -> bool:
        """The sentence before says when: "I left a cult eight years ago. Back then I tried to end my life once." """
        if sentence.start == 0:
            return False
        preceding = doc[sentence.start - 1].sent
        return any(self._opens(doc, sentence.start, words) for words in self.compiled["back_references"]) and self._has_past_cue(
            preceding
        )

    def _cue_ends(self, sentence: Span, cue: list[str]) -> Iterable[int]:
        """Where the cue ends in the sentence, skipping cues that say where someone is now.

        After a present copula it is the writer ("I'm in my 30s"); after a close person, who that person is ("my son
        in college is suicidal").
        """
        norms = [t._.cnorm for t in sentence]
        for i in range(len(norms) - len(cue) + 1):
            if norms[i : i + len(cue)] != cue:
                continue
            before = sentence[i - 1] if i else None
            if before is None or (before.lower_ not in self.words["present_copulas"] and before._.cnorm not in self.words["close"]):
                yield i + len(cue)

    def _past_cue_in(self, sentence: Span, cue: list[str]) -> bool:
        return any(self._cue_ends(sentence, cue))

    def _open_past_cue_in(self, sentence: Span, cue: list[str]) -> bool:
        """The cue ends its clause: "suicidal thoughts in the past?", but "in the past few days" is now."""
        breaks = self.words["clause_breaks"]
        return any(
            end == len(sentence) or sentence[end].is_punct or sentence[end].lower_ in breaks for end in self._cue_ends(sentence, cue)
        )

    def _past_age(self, sentence: Span, cue: list[str]) -> bool:
        """The cue followed by an age: "when I was 19", "at age fifteen"."""
        return any(end < len(sentence) and sentence[end].like_num for end in self._cue_ends(sentence, cue))

    def _age_then(self, sentence: Span) -> bool:
        """ "overdosed at 16 ... I'm 38 now": an age that the message says the writer, or the person written about, has outgrown.

        Alone, "at 16" may be a time ("at 11 tonight"), so it needs an age now at least `age_gap` years more.
        """
        ages_now = [int(t.text) for t in sentence.doc if self._stated_age(t)]
        if not ages_now:
            return False
        for cue in self.compiled["age_then_cues"]:
            for end in self._cue_ends(sentence, cue):
                if end < len(sentence) and sentence[end].text.isdigit():
                    then = int(sentence[end].text)
                    if then >= self.compiled["age_then_min"] and any(now >= then + self.compiled["age_gap"] for now in ages_now):
                        return True
        return False

    def _stated_age(self, token: Token) -> bool:
        """ "I'm 38", "she's 26 now", "im 41": a person's age, not a time or an amount ("it's 3", "I'm 2 weeks in")."""
        doc = token.doc
        if not (token.text.isdigit() and 10 <= int(token.text) <= 110 and token.i >= 2):
            return False
        copula, subject = doc[token.i - 1], doc[token.i - 2]
        following = doc[token.i + 1]._.cnorm if token.i + 1 < len(doc) else ""
        return (
            copula.lower_ in self.words["present_copulas"]
            and subject.lower_ in self.words["age_subjects"]
            and following not in self.words["not_ages"]
        )

    def _age_now(self, token: Token) -> bool:
        """An age said in the present ("I'm 52 now", "today im 61"): the writer's life now, not a crisis now."""
        return token.i > 0 and token.like_num and token.doc[token.i - 1].lower_ in self.words["present_copulas"]

    def _past_year(self, token: Token) -> bool:
        if not re.fullmatch(r"(19|20)\d\d", token.text):
            return False
        return int(token.text) <= date.today().year - self.compiled["past_year_min_age"]

    def _present_cue(self, doc: Doc, token: Token) -> bool:
        if token._.cnorm not in self.words["present_cues"]:
            return False
        for exception in self.compiled["present_cue_exceptions"]:
            if [t._.cnorm for t in doc[max(0, token.i + 1 - len(exception)) : token.i + 1]] == exception:
                return False
        if any(self._opens(doc, token.i, phrase) for phrase in self.compiled["present_cue_phrases_not_present"]):
            return False
        if token.lower_ not in {"now", "today"}:
            return True
        window = self.compiled["resolved_window"]
        before: list[Token] = []
        for t in reversed(doc[max(0, token.i - window) : token.i]):
            if t._.cnorm in self.words["contrasts"]:
                break
            before.append(t)
        if any(self._negation(t) for t in before):
            return True
        if any(t._.cnorm in self.words["resolved_states"] or self._age_now(t) for t in before):
            return False
        for t in doc[token.i + 1 : min(_sentence(doc, token).end, token.i + 1 + window)]:
            if self._negation(t) or t._.cnorm in self.words["contrasts"]:
                return True
            if t._.cnorm in self.words["resolved_states"] or self._age_now(t):
                return False
        return True

    @staticmethod
    def _opens(doc: Doc, start: int, words: list[str]) -> bool:
        """`words` start at `start`; "[MEDICATION]" stands for any medication the pipeline's entity ruler knows."""
        if start + len(words) > len(doc):
            return False
        return all(
            doc[start + i].ent_type_ == word[1:-1] if _ENTITY.fullmatch(word) else doc[start + i]._.cnorm == word
            for i, word in enumerate(words)
        )

    def _negation(self, token: Token) -> bool:
        return token._.cnorm in self.words["negations"] or token.lower_ == "n't"

    def _about_the_topic(self, sentence: Span, span: Span) -> bool:
        """A bare "suicidal"/"suicide" whose nearest preceding cue is a treatment topic, not the speaker."""
        if [t._.cnorm for t in span] not in self.compiled["topic_terms"]:
            return False
        first_person = self.words["first_person"]
        for token in reversed(sentence.doc[sentence.start : span.start]):
            if token.lower_ in first_person:
                return False
            if token._.cnorm in self.words["topics"]:
                return True
        return False

    def _is_question(self, sentence: Span) -> bool:
        text = sentence.text.strip().lower()
        interrogative = text.split(" ", 1)[0] in self.words["question_words"]
        topical = bool({t._.cnorm for t in sentence} & self.words["question_topics"])
        return (text.endswith("?") or interrogative) and topical

    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "compiled.json").write_text(json.dumps(self.compiled), encoding="utf-8")

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> "CrisisMatcher":
        self._load(json.loads((Path(path) / "compiled.json").read_text(encoding="utf-8")))
        return self


def _sentence(doc: Doc, item: Span | Token) -> Span:
    """The sentence around a span or token; the whole message when the pipeline has no sentence splitter."""
    return item.sent if doc.has_annotation("SENT_START") else doc[:]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    return next(_starts(haystack, needle), None) is not None


def _starts(haystack: list[str], needle: list[str]) -> Iterator[int]:
    n = len(needle)
    return (i for i in range(len(haystack) - n + 1) if haystack[i : i + n] == needle)


@Language.factory("crisis_matcher")
def make_crisis_matcher(nlp: Language, name: str) -> CrisisMatcher:
    return CrisisMatcher(nlp, name)


def everyday_tokens(doc: Doc) -> frozenset[int]:
    """Indices of the tokens read in an everyday sense ("over my dead body", "kill for a coffee")."""
    if EVERYDAY_KEY not in doc.spans:
        return frozenset()
    return frozenset(i for span in doc.spans[EVERYDAY_KEY] for i in range(span.start, span.end))


def crisis_spans(doc: Doc) -> list[Span]:
    """The crisis phrases the rule detector found in a processed message."""
    return list(doc.spans.get(SPAN_KEY, [])) if SPAN_KEY in doc.spans else []
