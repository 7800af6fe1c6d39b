"""Intake exports for the clinic's records: CSV and a FHIR R4 QuestionnaireResponse.

Both carry the same content as the intake page: every answer, the PHQ-9 and
GAD-7 item answers with totals and bands, the antidepressant-trial count and
the clinician flags. Staff notes stay in the console.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from typing import Any

from bot.console.intakes import Intake

SYSTEM = "urn:ketamine-clinic-assistant"
# Spreadsheet programs run cells starting with these as formulas; a patient's answer must stay text.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def _cell(value: Any) -> str:
    text = "" if value is None else "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def to_csv(intake: Intake) -> str:
    """One row per answer: section, question id, question, answer, answer label."""
    rows: list[list[Any]] = [
        ["intake", "id", "Intake id", intake.id, ""],
        ["intake", "status", "Status", intake.status, ""],
        ["intake", "channel", "Channel", intake.channel, ""],
        ["intake", "started", "Started (UTC)", iso(intake.created_at), ""],
        ["intake", "submitted", "Submitted (UTC)", iso(intake.submitted_at), ""],
    ]
    for questionnaire in intake.questionnaires:
        for item in questionnaire.items:
            rows.append([questionnaire.key, item.id, item.text, item.value, item.label])
        total = [f"{questionnaire.key}_total", f"{questionnaire.title} total", questionnaire.total, questionnaire.band]
        rows.append([questionnaire.key, *total])
    rows.append(["history", "antidepressant_trials", "Antidepressant trials", intake.antidepressant_trials, ""])
    for key, label, value in intake.other_answers:
        rows.append(["answers", key, label, value, ""])
    for number, flag in enumerate(intake.flags, start=1):
        rows.append(["flags", f"flag_{number}", "Clinician flag", flag, ""])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "question_id", "question", "answer", "answer_label"])
    writer.writerows([_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def _answer(value: Any) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [answer for item in value for answer in _answer(item)]
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, float):
        return [{"valueDecimal": value}]
    return [{"valueString": str(value)}]


def _item(link_id: str, text: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": link_id, "text": text}
    if answers:
        item["answer"] = answers
    return item


def to_fhir(intake: Intake) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse; scale answers are codings (value and label), totals integers."""
    groups = []
    for questionnaire in intake.questionnaires:
        items = [
            _item(
                item.id,
                item.text,
                []
                if item.value is None
                else [{"valueCoding": {"system": f"{SYSTEM}:scale:{questionnaire.key}", "code": str(item.value), "display": item.label}}],
            )
            for item in questionnaire.items
        ]
        items.append(_item(f"{questionnaire.key}_total", f"{questionnaire.title} total score", _answer(questionnaire.total)))
        items.append(_item(f"{questionnaire.key}_band", f"{questionnaire.title} severity band", _answer(questionnaire.band)))
        groups.append({"linkId": questionnaire.key, "text": f"{questionnaire.title}: {questionnaire.stem}", "item": items})
    history = [_item("antidepressant_trials", "Antidepressant trials", _answer(intake.antidepressant_trials))]
    history += [_item(key, label, _answer(value)) for key, label, value in intake.other_answers]
    groups.append({"linkId": "answers", "text": "Intake answers", "item": history})
    groups.append({"linkId": "clinician_flags", "text": "Clinician flags", "item": [_item("flags", "Flags", _answer(intake.flags))]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"intake-{intake.id}",
        "identifier": {"system": f"{SYSTEM}:intake", "value": str(intake.id)},
        "questionnaire": f"{SYSTEM}:questionnaire:intake",
        "status": "in-progress" if intake.status == "started" else "completed",
        "subject": {"identifier": {"system": f"{SYSTEM}:conversation", "value": intake.sender_id}},
        "item": groups,
    }
    authored = iso(intake.submitted_at or intake.created_at)
    if authored:
        resource["authored"] = authored
    return resource
