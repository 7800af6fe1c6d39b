"""The project's own English spaCy pipeline, built from the repository.

No spaCy model can be downloaded here, and none is needed: a blank English
tokenizer, sentence splitter, lookup lemmatizer (spacy-lookups-data's table, read
in lower case: `bot.lemmatizer`) and the project's rule components are enough for
Rasa's `SpacyNLP` to load, for the crisis rules to match on lemmas and for
medications to be recognised.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import spacy
import yaml
from spacy.language import Language

from bot.crisis import rules as crisis_rules
from bot.lemmatizer import FACTORY as LEMMATIZER
from bot.settings import ROOT

PIPELINE_DIR = ROOT / "build" / "spacy_en"
MEDICATIONS_FILE = ROOT / "bot" / "intake" / "medications.yml"
MEDICATION_LABEL = "MEDICATION"


def medication_patterns(nlp: Language, path: Path = MEDICATIONS_FILE) -> list[dict]:
    """EntityRuler patterns whose `id` is the generic name, so brands and typos resolve to it.

    Names are tokenised by the pipeline itself, which splits "buprenorphine-naloxone"
    and "st. john's wort" the same way it will split a patient's message.
    """
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    patterns = []
    for entry in entries:
        names = {entry["generic"], *entry.get("brands", []), *entry.get("aliases", [])}
        for name in sorted({n.lower() for n in names}):
            tokens = [{"LOWER": token.lower_} for token in nlp.make_doc(name)]
            patterns.append({"label": MEDICATION_LABEL, "pattern": tokens, "id": entry["generic"].lower()})
    return patterns


def build() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(LEMMATIZER, name="lemmatizer")
    nlp.initialize()
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(medication_patterns(nlp))
    matcher = nlp.add_pipe("crisis_matcher")
    matcher.build(crisis_rules.load_patterns())
    return nlp


def save(path: Path = PIPELINE_DIR) -> Path:
    nlp = build()
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    return path


def load(path: Path = PIPELINE_DIR) -> Language:
    return spacy.load(path)
