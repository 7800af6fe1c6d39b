"""The review screen: every answer, grouped by section, in words the person recognises.

Anything the person typed is shown only after `safe()`: markup characters are
dropped, so an answer can never carry formatting or a link into the assistant's
reply, and long text is shortened.
"""

from __future__ import annotations

import re
from typing import Any

from bot.intake.answers import NO, SKIPPED, UNSURE, YES, shown
from bot.intake.questions import Catalogue, Section

_SHOW = re.compile(
    r"(?:please )?(?:show|see|list|view|display|read)(?: me)?(?: (?:my|all|all my|the))?(?: answers?| summary| it| them)?(?: again)?[.!]?",
    re.I,
)
_MARKUP = re.compile(r"[<>*_`\[\]{}|\\]|[\x00-\x08\x0b-\x1f\x7f]")
MAX_SHOWN = 160
# Sections with more yes/no questions than this show them grouped by answer instead of one line each.
GROUP_YES_NO_OVER = 5


def safe(text: str) -> str:
    cleaned = re.sub(r"\s+", " ", _MARKUP.sub("", text)).strip()
    return cleaned if len(cleaned) <= MAX_SHOWN else cleaned[: MAX_SHOWN - 3].rstrip() + "..."


def wants_summary(text: str) -> bool:
    """ "show my answers", "SHOW", "see them again": the person asks for the whole review again."""
    return bool(_SHOW.fullmatch(text.strip()))


def _listed(catalogue: Catalogue, slots: list[str]) -> str:
    return ", ".join(catalogue.question(s).label.lower() for s in slots)


def _yes_no_block(catalogue: Catalogue, section: Section, values: dict[str, Any]) -> list[str]:
    questions = [q for q in section.questions if q.kind == "yes_no"]
    grouped: dict[str, list[str]] = {YES: [], UNSURE: [], SKIPPED: [], NO: []}
    for question in questions:
        grouped.setdefault(values.get(question.slot) or "unanswered", []).append(question.slot)
    lines = []
    if grouped[YES]:
        lines.append(f"- Yes: {_listed(catalogue, grouped[YES])}")
    if grouped[UNSURE]:
        lines.append(f"- Not sure: {_listed(catalogue, grouped[UNSURE])}")
    if grouped[SKIPPED]:
        lines.append(f"- Skipped: {_listed(catalogue, grouped[SKIPPED])}")
    if grouped[NO]:
        lines.append("- No to everything else" if len(grouped[NO]) < len(questions) else "- No to all of these")
    return lines


def _scale_block(catalogue: Catalogue, section: Section, values: dict[str, Any]) -> list[str]:
    answers = [f"{q.number} {shown(q, values.get(q.slot))}" for q in section.questions]
    return ["- " + "; ".join(answers)]


def review_summary(catalogue: Catalogue, values: dict[str, Any]) -> str:
    """All answers as paragraphs, one per section (an SMS each), for the person to check."""
    paragraphs = []
    for section in catalogue.sections:
        questions = [q for q in section.questions if q.kind not in {"consent", "review"}]
        if not questions:
            continue
        if all(q.kind == "scale" for q in questions):
            lines = _scale_block(catalogue, section, values)
        else:
            grouped = sum(q.kind == "yes_no" for q in questions) > GROUP_YES_NO_OVER
            lines = [f"- {q.label}: {safe(shown(q, values.get(q.slot)))}" for q in questions if not (grouped and q.kind == "yes_no")]
            lines += _yes_no_block(catalogue, section, values) if grouped else []
        paragraphs.append("\n".join([section.title, *lines]))
    return "\n\n".join(paragraphs)
