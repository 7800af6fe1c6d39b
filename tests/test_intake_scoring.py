"""PHQ-9 and GAD-7 totals and bands, and the antidepressant-trial count, against the curated questionnaire file."""

from __future__ import annotations

import pytest
import yaml

from bot.intake import scoring
from bot.intake.answers import NONE, SKIPPED, UNSURE
from bot.intake.questions import QUESTIONNAIRES_FILE, catalogue

CATALOGUE = catalogue()
PHQ9 = CATALOGUE.instruments["phq9"]
GAD7 = CATALOGUE.instruments["gad7"]


def items(instrument_id: str, scores: list[int | str]) -> dict[str, int | str]:
    return {f"{instrument_id}_{n}": score for n, score in enumerate(scores, start=1)}


def test_items_stem_and_scale_are_word_for_word_from_the_curated_file() -> None:
    source = yaml.safe_load(QUESTIONNAIRES_FILE.read_text(encoding="utf-8"))
    for key, instrument in (("phq9", PHQ9), ("gad7", GAD7)):
        assert instrument.stem == source[key]["stem"]
        assert list(instrument.items) == [item["text"] for item in source[key]["items"]]
        assert [(o.label, int(o.words[0])) for o in instrument.scale] == [(s["label"], s["value"]) for s in source[key]["scale"]]
    assert len(PHQ9.items) == 9 and len(GAD7.items) == 7


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"),
     (15, "Moderately severe"), (19, "Moderately severe"), (20, "Severe"), (27, "Severe")],
)  # fmt: skip
def test_phq9_bands_at_every_boundary(total: int, band: str) -> None:
    assert scoring.band(PHQ9, total) == band


@pytest.mark.parametrize(("total", "band"), [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (10, "Moderate"), (15, "Severe"), (21, "Severe")])
def test_gad7_bands(total: int, band: str) -> None:
    assert scoring.band(GAD7, total) == band


def test_totals_add_the_item_scores() -> None:
    assert scoring.total(PHQ9, items("phq9", [1, 2, 2, 2, 3, 0, 1, 2, 0])) == 13
    assert scoring.total(PHQ9, items("phq9", [3] * 9)) == 27
    assert scoring.total(GAD7, items("gad7", [0, 1, 2, 3, 1, 2, 3])) == 12


def test_a_skipped_or_missing_item_voids_the_total_instead_of_under_scoring() -> None:
    assert scoring.total(PHQ9, items("phq9", [3, 3, 3, 3, 3, 3, 3, 3, SKIPPED])) is None
    assert scoring.total(GAD7, items("gad7", [1, 1, 1])) is None
    assert scoring.band(PHQ9, None) is None


def meds(*generics: str, stated: int | None = None) -> dict:
    value: dict = {"text": ", ".join(generics), "medications": [{"generic": g, "said": g, "dose": None} for g in generics]}
    if stated:
        value["stated_count"] = stated
    return value


def test_antidepressant_trials_count_distinct_antidepressants_past_and_present() -> None:
    answers = {
        "antidepressants_tried": meds("sertraline", "escitalopram", "bupropion", "clonazepam"),
        "current_medications": meds("escitalopram", "lamotrigine", "venlafaxine"),
    }
    # sertraline, escitalopram, bupropion, venlafaxine; clonazepam and lamotrigine are not antidepressants
    assert scoring.antidepressant_trials(CATALOGUE, answers) == 4


def test_a_stated_number_counts_when_names_are_not_remembered() -> None:
    assert scoring.antidepressant_trials(CATALOGUE, {"antidepressants_tried": meds(stated=6)}) == 6
    assert scoring.antidepressant_trials(CATALOGUE, {"antidepressants_tried": meds("fluoxetine", stated=3)}) == 3


def test_none_is_zero_and_unknown_stays_unknown() -> None:
    assert scoring.antidepressant_trials(CATALOGUE, {"antidepressants_tried": NONE}) == 0
    assert scoring.antidepressant_trials(CATALOGUE, {"antidepressants_tried": UNSURE}) is None
    assert scoring.antidepressant_trials(CATALOGUE, {}) is None
