"""The knowledge base under `knowledge/`, and the training data generated from it.

Entries are the single source of truth for FAQ answers: `build()` writes the
retrieval-intent examples and the `utter_faq/<id>` responses (web and SMS) into
a git-ignored file under `data/nlu/`, with the clinic's own facts from
`knowledge/clinic.yml` filled in. Nobody edits the generated file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import ROOT

KNOWLEDGE_DIR = ROOT / "knowledge"
ENTRIES_DIR = KNOWLEDGE_DIR / "entries"
CLINIC_FILE = KNOWLEDGE_DIR / "clinic.yml"
GENERATED_FILE = ROOT / "data" / "nlu" / "faq.yml"
SMS_LIMIT = 320
REQUIRED_KEYS = {"id", "title", "answer", "sms", "sources", "last_reviewed", "examples"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class KnowledgeError(Exception):
    """An entry is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    answer: str
    sms: str
    sources: tuple[dict, ...]
    last_reviewed: str
    examples: tuple[str, ...]

    def web_text(self) -> str:
        names = "; ".join(s["title"] for s in self.sources)
        return f"{self.answer.strip()}\n\nSources: {names}" if names else self.answer.strip()


def load_clinic(path: Path = CLINIC_FILE) -> dict[str, str]:
    return {k: str(v) for k, v in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()}


def _fill(text: str, clinic: dict[str, str], where: Path) -> str:
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(clinic))
    if missing:
        raise KnowledgeError(f"{where.name}: unknown placeholder(s) {missing}; add them to {CLINIC_FILE.name}.")
    filled = _PLACEHOLDER.sub(lambda m: clinic[m.group(1)], text)
    if "{" in filled or "}" in filled:
        raise KnowledgeError(f"{where.name}: stray curly brace; Rasa would read it as a slot.")
    return filled


def load_entries(directory: Path = ENTRIES_DIR, clinic: dict[str, str] | None = None) -> list[Entry]:
    clinic = load_clinic() if clinic is None else clinic
    entries = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        missing = REQUIRED_KEYS - set(data)
        if missing:
            raise KnowledgeError(f"{path.name}: missing {sorted(missing)}.")
        if data["id"] != path.stem:
            raise KnowledgeError(f"{path.name}: id {data['id']!r} must equal the file name.")
        sms = _fill(str(data["sms"]).strip(), clinic, path)
        if len(sms) > SMS_LIMIT:
            raise KnowledgeError(f"{path.name}: the SMS version is {len(sms)} characters; keep it to {SMS_LIMIT}.")
        entries.append(
            Entry(
                id=data["id"],
                title=_fill(str(data["title"]), clinic, path),
                answer=_fill(str(data["answer"]), clinic, path),
                sms=sms,
                sources=tuple(data["sources"] or ()),
                last_reviewed=str(data["last_reviewed"]),
                examples=tuple(str(e).strip() for e in data["examples"]),
            )
        )
    seen: dict[str, str] = {}
    for entry in entries:
        for example in entry.examples:
            other = seen.setdefault(example.lower(), entry.id)
            if other != entry.id:
                raise KnowledgeError(f"Example {example!r} is in both {other} and {entry.id}; keep it in one.")
    return entries


def training_data(entries: list[Entry]) -> dict:
    """The generated Rasa training-data document: examples and responses."""
    return {
        "version": "3.1",
        "nlu": [
            {"intent": f"faq/{e.id}", "examples": "".join(f"- {x}\n" for x in e.examples)} for e in entries
        ],
        "responses": {
            f"utter_faq/{e.id}": [
                {"text": e.web_text(), "metadata": {"kb_entry": e.id}},
                {"text": e.sms, "channel": "twilio", "metadata": {"kb_entry": e.id}},
            ]
            for e in entries
        },
    }


def build(target: Path = GENERATED_FILE) -> Path:
    entries = load_entries()
    header = "# GENERATED from knowledge/ by `python -m bot build-kb`; edit the entries, not this file.\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(training_data(entries), sort_keys=False, allow_unicode=True, width=1000)
    target.write_text(header + body, encoding="utf-8")
    return target
