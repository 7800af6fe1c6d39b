"""Editing one knowledge entry and rebuilding is all a clinic does to change an answer.

The whole path runs for real on a copy of the project: the entry file is edited,
`python -m bot build-kb` regenerates the training data, `rasa train` trains a
model, and the assistant started on that model answers the entry's question
with the new text over REST. The copy keeps the repository's own files and
model untouched (checked at the end). One training run, so this is the slowest
test in its file by far.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

from bot.knowledge import GENERATED_FILE
from bot.settings import ROOT
from bot.stack import MODEL_FILE, Stack
from tests.conftest import Assistant, make_settings, new_sender, texts

ENTRY = "hsa_fsa"
# What the project needs to build and train; everything else (venv, models, logs, node modules) stays behind.
PROJECT_PARTS = ["bot", "actions", "data", "knowledge", "config.yml", "domain.yml", "endpoints.yml", "credentials.yml"]


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


def _copy_project(target: Path) -> None:
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / part)
    # The build must write the FAQ training data itself, not reuse the repository's.
    (target / GENERATED_FILE.relative_to(ROOT)).unlink(missing_ok=True)
    shutil.copytree(ROOT / "build" / "spacy_en", target / "build" / "spacy_en")


def _run(command: list[str], cwd: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(cwd), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_an_edited_entry_changes_the_answer_after_rebuild(tmp_path: Path) -> None:
    entry_file = ROOT / "knowledge" / "entries" / f"{ENTRY}.yml"
    before = {entry_file: _fingerprint(entry_file), MODEL_FILE: _fingerprint(MODEL_FILE)}
    project = tmp_path / "project"
    _copy_project(project)

    copied_entry = project / "knowledge" / "entries" / f"{ENTRY}.yml"
    data = yaml.safe_load(copied_entry.read_text(encoding="utf-8"))
    marker = f"Edited answer {uuid.uuid4().hex[:8]}: ask the front desk for the HSA letter."
    data["answer"] = marker
    copied_entry.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    question = data["examples"][0]

    _run([sys.executable, "-m", "bot", "build-kb"], project)
    generated = (project / "data" / "nlu" / "faq.yml").read_text(encoding="utf-8")
    assert marker in generated
    _run([sys.executable, "-m", "rasa", "train", "--fixed-model-name", "edited", "--out", "models"], project)

    stack = Stack(
        make_settings(tmp_path), model=project / "models" / "edited.tar.gz", console=False, alert_worker=False, name="test-kb-edit"
    )
    stack.start()
    try:
        assistant = Assistant(stack)
        sender = new_sender()
        reply = texts(assistant.send(question, sender))
        assert marker in reply
        assert assistant.slot(sender, "kb_entry") == ENTRY
    finally:
        stack.stop()

    assert {path: _fingerprint(path) for path in before} == before, "the test must not change the repository's files"
