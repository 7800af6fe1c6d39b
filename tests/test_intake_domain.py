"""The questionnaire's domain as Rasa sees it: crisis safety on every form, SMS variants, exact instruments."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from rasa.shared.importers.importer import TrainingDataImporter

from actions import intake_forms
from bot.channels.twilio_sms import MAX_PARTS
from bot.crisis import CRISIS_INTENT, SIGNAL_ENTITY
from bot.intake import answers, domain
from bot.intake.questions import catalogue
from bot.knowledge import SMS_LIMIT
from bot.settings import ROOT
from tests import intake_stories

CATALOGUE = catalogue()
CRISIS = "crisis_disclosure"
CRISIS_RULES_FILE = ROOT / "data" / "rules" / "intake_crisis.yml"
FLOW_RULES_FILE = ROOT / "data" / "rules" / "intake.yml"
CRISIS_STEPS = [
    {"intent": CRISIS},
    {"action": "action_deactivate_loop"},
    {"active_loop": None},
    {"action": "utter_crisis"},
]


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    """domain.yml and the questionnaire's domain, merged as `rasa train` merges them (config.yml's importer)."""
    importer = TrainingDataImporter.load_from_config(str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    return importer.get_domain().as_dict()


def rules(path: Any) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]


def test_every_section_is_a_form_in_the_trained_domain(merged: dict) -> None:
    assert list(merged["forms"]) == CATALOGUE.forms
    assert CATALOGUE.forms[0] == "consent_form", "consent must come before any health question"


@pytest.mark.parametrize("form", CATALOGUE.forms)
def test_every_form_is_crisis_safe(form: str, merged: dict) -> None:
    """The mandatory crisis set-up, checked on every form of the domain Rasa trains on."""
    definition = merged["forms"][form]
    assert CRISIS in definition["ignored_intents"]
    for slot in definition["required_slots"]:
        for mapping in merged["slots"][slot]["mappings"]:
            if mapping["type"] == "from_text":
                assert CRISIS in mapping.get("not_intent", []), f"{slot}: a crisis message could be stored as its answer"
    crisis_rules = [r for r in rules(CRISIS_RULES_FILE) if r.get("condition") == [{"active_loop": form}] and r["steps"] == CRISIS_STEPS]
    assert len(crisis_rules) == 1, f"{form} needs exactly one crisis rule in {CRISIS_RULES_FILE.name}"
    validators = [cls for cls in intake_forms.IntakeFormValidation.__subclasses__() if cls().name() == f"validate_{form}"]
    assert len(validators) == 1 and f"validate_{form}" in merged["actions"]
    for slot in definition["required_slots"]:
        assert callable(getattr(validators[0](), f"validate_{slot}", None)), f"{slot} has no validator"


def test_the_crisis_names_are_the_domains() -> None:
    declared = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert CRISIS_INTENT in declared["intents"]
    assert SIGNAL_ENTITY in declared["entities"] and SIGNAL_ENTITY in declared["slots"]


def test_phq9_item9_above_zero_has_a_crisis_rule_wherever_it_can_be_answered() -> None:
    item_nine = [
        r for r in rules(CRISIS_RULES_FILE) if {"phq9_item9_alert": True} in sum((s.get("slot_was_set", []) for s in r["steps"]), [])
    ]
    forms = {r["condition"][0]["active_loop"] for r in item_nine}
    assert forms == {"phq9_form", domain.REVIEW_FORM}
    assert all(r["steps"][-1] == {"action": "utter_crisis"} for r in item_nine)


def test_sections_follow_each_other_in_the_catalogue_order() -> None:
    flow = rules(FLOW_RULES_FILE)
    for earlier, later in zip(CATALOGUE.forms, CATALOGUE.forms[1:], strict=False):
        chained = [
            r
            for r in flow
            if r.get("condition") == [{"active_loop": earlier}] and {"action": later} in r["steps"] and r["steps"][0] == {"action": earlier}
        ]
        assert chained, f"no rule moves on from {earlier} to {later}"
    assert any(r["steps"][-1] == {"action": "action_submit_intake"} for r in flow if r.get("condition") == [{"active_loop": "review_form"}])


def test_the_questionnaire_starts_with_consent_unless_it_was_given() -> None:
    flow = rules(FLOW_RULES_FILE)
    starts = {tuple(str(c) for c in r.get("condition", [])): r["steps"][1] for r in flow if r["steps"][0] == {"intent": "start_intake"}}
    assert starts[()] == {"action": "consent_form"}
    assert starts[("{'slot_was_set': [{'intake_status': 'in_progress'}]}",)] == {"action": "contact_form"}


def test_the_consent_text_says_what_the_person_agrees_to(merged: dict) -> None:
    for variant in merged["responses"]["utter_ask_intake_consent"]:
        text = variant["text"].lower()
        for needed in ("automated assistant", "diagnosis", "emergency", "988", "your answers", "sms", "not encrypted", "clinician"):
            assert needed in text, f"the consent text ({variant.get('channel', 'web')}) does not say {needed!r}"


@pytest.mark.parametrize("instrument", ["phq9", "gad7"])
def test_questionnaire_items_are_asked_word_for_word(instrument: str, merged: dict) -> None:
    source = CATALOGUE.instruments[instrument]
    for number, item in enumerate(source.items, start=1):
        variants = merged["responses"][f"utter_ask_{instrument}_{number}"]
        for variant in variants:
            assert source.stem in variant["text"] and item in variant["text"]
        assert [b["title"] for b in variants[0]["buttons"]] == [o.label for o in source.scale]


def test_every_reply_with_buttons_has_an_sms_variant_without_them(merged: dict) -> None:
    for name, variants in merged["responses"].items():
        if any(v.get("buttons") for v in variants):
            sms = [v for v in variants if v.get("channel") == domain.SMS_CHANNEL]
            assert sms, f"{name} has buttons but no SMS variant"
            assert not any(v.get("buttons") for v in sms), f"{name}'s SMS variant has buttons"


@pytest.mark.parametrize("slot", [q.slot for q in CATALOGUE.by_slot.values() if q.kind in {"choice", "scale", "yes_no"}])
def test_every_numbered_or_worded_sms_reply_reads_as_the_option_it_names(slot: str, merged: dict) -> None:
    question = CATALOGUE.question(slot)
    sms = next(v["text"] for v in merged["responses"][f"utter_ask_{slot}"] if v.get("channel") == domain.SMS_CHANNEL)
    if question.kind == "yes_no":
        assert "Reply YES, NO or NOT SURE" in sms
        assert [answers.read(question, w).value for w in ("YES", "NO", "NOT SURE")] == ["yes", "no", "not sure"]
        return
    offered = [re.fullmatch(r"(\d+) for (.+)", part.strip()).groups() for part in sms.rsplit("Reply ", 1)[1].rstrip(".").split("; ")]
    assert len(offered) == len(question.options)
    for number, shown in offered:
        value = answers.read(question, number).value
        assert value == (shown if question.kind == "choice" else next(int(o.words[0]) for o in question.options if o.label == shown))


def test_no_question_is_too_long_for_the_sms_channel_to_send_whole(merged: dict) -> None:
    longest = MAX_PARTS * SMS_LIMIT
    for name, variants in merged["responses"].items():
        for variant in variants:
            if name.startswith("utter_ask_") and variant.get("channel") in {None, domain.SMS_CHANNEL}:
                assert len(variant["text"]) <= longest, f"{name} would be shortened by SMS"
    assert len(next(v for v in merged["responses"]["utter_ask_intake_consent"] if v.get("channel"))["text"]) <= SMS_LIMIT


def test_buttons_send_answers_the_validators_read(merged: dict) -> None:
    for question in CATALOGUE.by_slot.values():
        if question.kind in {"choice", "scale", "yes_no"}:
            for button in merged["responses"][f"utter_ask_{question.slot}"][0]["buttons"]:
                assert answers.read(question, button["payload"]) is not None, f"{question.slot}: button {button['title']!r}"


def test_the_hand_written_part_may_not_redefine_a_generated_question(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = domain.hand_written()
    fixed["responses"]["utter_ask_phone"] = [{"text": "a second, hand-written phone question"}]
    monkeypatch.setattr(domain, "hand_written", lambda: fixed)
    with pytest.raises(ValueError, match="utter_ask_phone"):
        domain.intake_domain(CATALOGUE)


def test_the_generated_crisis_test_stories_are_up_to_date_and_cover_every_question() -> None:
    assert intake_stories.STORIES_FILE.read_text(encoding="utf-8") == intake_stories.render(CATALOGUE), (
        "tests/test_intake_crisis_stories.yml is stale: run `python -m tests.intake_stories`"
    )
    covered = {
        next(s["slot_was_set"][0]["requested_slot"] for s in reversed(story["steps"]) if "requested_slot" in str(s))
        for story in yaml.safe_load(intake_stories.STORIES_FILE.read_text(encoding="utf-8"))["stories"]
    }
    assert covered == set(CATALOGUE.by_slot)
