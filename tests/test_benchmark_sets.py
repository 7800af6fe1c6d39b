"""The benchmark's held-out messages never reach the training data.

A model that trained on its test set would report accuracy it does not have:
a held-out message copied into data/nlu/ (or into a knowledge entry's examples,
from which data/nlu/faq.yml is generated) makes this fail. Texts are compared
after lower-casing and dropping punctuation and spacing, so a copy with a
changed comma still counts as a copy.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
import yaml

from bench.nlu_eval import PROJECT_CRISIS_SETS, PROJECT_FAQ_SETS, SEALED_CRISIS_SETS
from bot import knowledge

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATA = ROOT / "bench" / "data"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _training_texts() -> set[str]:
    texts: set[str] = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                example = re.sub(r"\[([^\]]*)\]\{[^}]*\}|\[([^\]]*)\]\([^)]*\)", r"\1\2", line.strip().removeprefix("- "))
                if example:
                    texts.add(_normal(example))
    for entry in knowledge.load_entries():
        texts.update(_normal(example) for example in entry.examples)
    return texts


def _held_out(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


@pytest.mark.parametrize(
    ("filename", "column"),
    [(name, "text") for name in PROJECT_CRISIS_SETS + SEALED_CRISIS_SETS] + [(name, "question") for name in PROJECT_FAQ_SETS],
)
def test_project_held_out_sets_are_not_in_the_training_data(filename: str, column: str) -> None:
    rows = _held_out(BENCH_DATA / filename, column)
    assert len(rows) >= 100
    training = _training_texts()
    assert [text for text in rows if _normal(text) in training] == []


def test_public_evaluation_sets_are_not_in_the_training_data() -> None:
    """The public sets sit beside the repo (CI has them); their text must never be trained on."""
    files = {"xstest_prompts.csv": "prompt", "simplesafetytests.csv": "prompts_final", "cssrs_reddit_500.csv": "Post"}
    present = {name: column for name, column in files.items() if (SHARED_EVAL / name).exists()}
    if not present:
        # A clinic's clone has no ../shared; CI always has it, so there a missing set is a failure.
        assert not os.environ.get("CI"), f"{SHARED_EVAL} is missing in CI"
        pytest.skip(f"{SHARED_EVAL} is not beside the repository")
    training = _training_texts()
    for name, column in present.items():
        header = next(csv.reader((SHARED_EVAL / name).open(encoding="utf-8")))
        assert column in header, f"{name}: no column {column!r} in {header}"
        assert [t for t in _held_out(SHARED_EVAL / name, column) if _normal(t) in training] == [], name
