"""The accuracy report of `make bench` says what a reader needs to judge a figure."""

from __future__ import annotations

from bench.nlu_eval import CrisisResult


def test_posts_labelled_neither_are_counted_by_label() -> None:
    """C-SSRS's supportive users write about suicide too; their flag rate shows whether its recall means anything."""
    result = CrisisResult(
        "set",
        rows=[
            ("a", "crisis", "ideation", "intent"),
            ("b", "other", "supportive", None),
            ("c", "other", "supportive", "rules"),
            ("d", "other", "indicator", "both"),
        ],
    )
    assert "  flagged among posts labelled neither crisis nor safe: 2/3 (indicator 1/1, supportive 1/2)" in result.report()
