"""spaCy's English lookup lemmatizer, reading a word the way its table is keyed: in lower case.

The lookup table from spacy-lookups-data has lower-case keys, and spaCy's lookup mode
reads the word as written, so a capitalised or shouted word kept itself as its lemma:
"Killing myself is all I think about" and "WANTED TO DIE" did not match the crisis
rules' "kill myself" and "want to die", which match on lemmas.
"""

# No `from __future__ import annotations`: spaCy resolves factory type hints at runtime.
from collections.abc import Callable

from spacy.lang.en.lemmatizer import EnglishLemmatizer
from spacy.language import Language
from spacy.tokens import Token
from thinc.api import Model

FACTORY = "lowercase_lookup_lemmatizer"


class LowercaseLookupLemmatizer(EnglishLemmatizer):
    def lookup_lemmatize(self, token: Token) -> list[str]:
        table = self.lookups.get_table("lemma_lookup", {})
        word = token.text if token.text in table else token.lower_
        return [table.get(word, token.text)]


@Language.factory(
    FACTORY,
    assigns=["token.lemma"],
    default_config={"model": None, "mode": "lookup", "overwrite": False, "scorer": {"@scorers": "spacy.lemmatizer_scorer.v1"}},
)
def make_lemmatizer(
    nlp: Language, model: Model | None, name: str, mode: str, overwrite: bool, scorer: Callable | None
) -> LowercaseLookupLemmatizer:
    return LowercaseLookupLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite, scorer=scorer)
