"""What staff see: the inbox order and filters, transcripts, alerts, intakes and exports, unanswered questions."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import storage
from tests.console_support import PHQ9, Console, Staff, add_alert, add_events, add_intake, running_console

HOUR = 3600.0


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with running_console(tmp_path) as running:
        yield running


@pytest.fixture
def staff(console: Console) -> Staff:
    person = Staff(console.url)
    person.login(console.add_user("dana@clinic.example"))
    return person


def order_in(page: str, *needles: str) -> list[int]:
    return [page.index(needle) for needle in needles]


def test_inbox_lists_crisis_first_then_intakes_to_review_then_the_rest(console: Console, staff: Staff) -> None:
    now = time.time()
    add_events(console.engine, "chatty-newest", [{"user": "hello"}, {"bot": "Hi!"}], start=now - 60)
    add_events(console.engine, "intake-person", [{"user": "I'd like to start the questionnaire"}], start=now - 2 * HOUR)
    add_intake(console.engine, "intake-person")
    add_events(
        console.engine,
        "crisis-older",
        [{"user": "I want to end it all", "intent": "crisis_disclosure"}, {"slot": "crisis_detected", "value": True}],
        start=now - 5 * HOUR,
    )
    add_alert(console.engine, "crisis-older", created_at=now - 5 * HOUR)
    page = staff.get("/").text
    crisis, intake, rest = order_in(page, "crisis-older", "Jordan Rivera", "chatty-newest")
    assert crisis < intake < rest
    assert "escalated 5 h ago" in page and 'class="alarm">not acknowledged' in page and "Intake to review" in page
    assert "1 crisis" in page and "1 to review" in page  # header counts


def test_inbox_filters_by_status_channel_date_and_search(console: Console, staff: Staff) -> None:
    now = time.time()
    add_events(console.engine, "sms-patient", [{"user": "do you take blue cross insurance", "channel": "twilio"}], start=now - HOUR)
    add_events(console.engine, "web-patient", [{"user": "hello there"}], start=now - 3 * 86400)
    add_intake(console.engine, "web-patient", full_name="Avery Stone", phone="+1 555 777 1234")
    add_alert(console.engine, "web-patient")

    def shown(query: str) -> set[str]:
        page = staff.get("/" + query).text
        return {sender for sender in ("sms-patient", "web-patient") if f"/conversations/{sender}" in page}

    assert shown("") == {"sms-patient", "web-patient"}
    assert shown("?status=crisis") == shown("?status=unacknowledged") == {"web-patient"}
    assert shown("?status=intake_submitted") == {"web-patient"}
    assert shown("?channel=sms") == {"sms-patient"}
    assert shown("?channel=web") == {"web-patient"}
    # The day of the SMS, an hour ago (the day before, between midnight and 1 am UTC): the alert and intake are later.
    sms_day = time.strftime("%Y-%m-%d", time.gmtime(now - HOUR))
    assert shown(f"?since={sms_day}") == {"sms-patient", "web-patient"}
    assert shown("?q=blue+cross") == {"sms-patient"}
    assert shown("?q=avery") == {"web-patient"}
    assert shown("?q=555-777-1234") == {"web-patient"}
    assert shown("?q=nobody+says+this") == set()
    assert "search=yes" in console.audit("dana@clinic.example")[-1]["detail"]
    assert "avery" not in json.dumps(console.audit()).lower(), "search terms are patient data and stay out of the audit log"


def test_script_typed_by_a_patient_is_shown_as_text(console: Console, staff: Staff) -> None:
    payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    add_events(console.engine, "xss-patient", [{"user": payload}, {"bot": "I'm not sure I understood."}])
    add_intake(console.engine, "xss-patient", full_name=payload)
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    for page in ("/conversations/xss-patient", "/", "/?q=%3Cscript%3E"):
        html = staff.get(page).text
        assert "<script>" not in html and "<img src=x" not in html, page
        assert "&lt;script&gt;" in html, page
    assert escaped in staff.get("/conversations/xss-patient").text
    intake_id = int(staff.get("/").text.split('href="/intakes/')[1].split('"')[0])
    assert "<script>" not in staff.get(f"/intakes/{intake_id}").text


def test_transcript_shows_turns_buttons_channel_crisis_and_knowledge_entry(console: Console, staff: Staff) -> None:
    add_events(
        console.engine,
        "patient-7",
        [
            {"user": "how much does an infusion cost", "channel": "twilio"},
            {"bot": "Prices vary **a lot**.", "utter_action": "utter_faq/cost_iv", "metadata": {"metadata": {"kb_entry": "cost_iv"}}},
            {"user": "I want to kill myself", "intent": "crisis_disclosure", "channel": "twilio"},
            {"bot": "Call or text 988.", "utter_action": "utter_crisis", "buttons": ["Yes, please call me", "Not now"]},
        ],
    )
    page = staff.get("/conversations/patient-7").text
    positions = order_in(page, "how much does an infusion cost", "Prices vary", "I want to kill myself", "Call or text 988")
    assert positions == sorted(positions)
    assert "Prices vary <strong>a lot</strong>." in page
    assert "Answered from knowledge-base entry <code>cost_iv</code>" in page
    assert 'class="turn user crisis"' in page and "Crisis detected" in page
    assert "<li>Yes, please call me</li>" in page and "SMS (twilio)" in page
    assert console.audit("dana@clinic.example")[-1]["action"] == "view_conversation"


def test_acknowledging_an_alert_records_who_and_when(console: Console, staff: Staff) -> None:
    add_events(console.engine, "patient-9", [{"user": "kms", "intent": "crisis_disclosure"}])
    alert = add_alert(console.engine, "patient-9")
    page = staff.submit(f"/alerts/{alert}/acknowledge").text
    assert f"Alert #{alert} acknowledged by dana@clinic.example" in page
    assert "Acknowledged by dana@clinic.example at" in page
    inbox = staff.get("/").text
    assert "acknowledged by dana@clinic.example" in inbox and 'class="alarm">not acknowledged' not in inbox
    other = Staff(console.url)
    other.login(console.add_user("lee@clinic.example"))
    assert "was already acknowledged" in other.submit(f"/alerts/{alert}/acknowledge").text
    with console.engine.connect() as connection:
        acks = connection.execute(sa.select(storage.alert_acknowledgements)).mappings().all()
    assert [(a["alert_id"], a["acknowledged_by"]) for a in acks] == [(alert, "dana@clinic.example")]
    assert ("acknowledge_alert", str(alert)) in [(e["action"], e["target"]) for e in console.audit("dana@clinic.example")]


def test_intake_page_shows_scores_items_and_flags_and_can_be_reviewed_and_noted(console: Console, staff: Staff) -> None:
    intake = add_intake(console.engine, "patient-3")
    page = staff.get(f"/intakes/{intake}").text
    assert f"Intake #{intake}: Jordan Rivera" in page
    assert "PHQ-9: 12 (Moderate)" in page and "GAD-7: 6 (Mild)" in page
    assert "<td>Feeling down, depressed, or hopeless</td><td>More than half the days</td><td>2</td>" in page
    assert 'class="crisis"><td>Thoughts that you would be better off dead' in page  # item 9 above 0 stands out
    assert "<li>Urgent: PHQ-9 item 9 above 0: clinician follow-up</li>" in page and "Antidepressant trials</dt><dd>2" in page
    assert "<th scope=\"row\">Phone</th><td>+1 (555) 010-2030</td>" in page
    assert "sertraline, lisinopril" in page
    reviewed = staff.submit(f"/intakes/{intake}/review").text
    assert "Marked as reviewed" in reviewed and "reviewed by dana@clinic.example" in reviewed
    noted = staff.submit(f"/intakes/{intake}/notes", note="Called back, booked consult").text
    assert "Called back, booked consult" in noted
    with console.engine.connect() as connection:
        stored = connection.execute(sa.select(storage.staff_notes.c.body)).scalar()
        status = connection.execute(sa.select(storage.intakes.c.status)).scalar()
    assert "Called back" not in stored and status == "reviewed"
    assert [e["action"] for e in console.audit("dana@clinic.example")][-4:] == ["review_intake", "view_intake", "add_note", "view_intake"]


def test_intake_exports_carry_every_answer(console: Console, staff: Staff) -> None:
    intake = add_intake(console.engine, "patient-4", referral_source="=HYPERLINK(\"http://evil\")")
    response = staff.get(f"/intakes/{intake}/export.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="intake-{intake}.csv"'
    rows = {row["question_id"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows["phq9_2"]["answer"] == "2" and rows["phq9_2"]["answer_label"] == "More than half the days"
    assert rows["phq9_total"]["answer"] == "12" and rows["phq9_total"]["answer_label"] == "Moderate"
    assert rows["gad7_total"]["answer"] == "6" and rows["antidepressant_trials"]["answer"] == "2"
    assert rows["full_name"]["answer"] == "Jordan Rivera" and rows["flag_1"]["answer"].startswith("Urgent: PHQ-9 item 9")
    assert rows["referral_source"]["answer"].startswith("'="), "a formula from a patient must not run in a spreadsheet"

    fhir = staff.get(f"/intakes/{intake}/export.fhir.json")
    assert fhir.headers["Content-Type"].startswith("application/fhir+json")
    resource = fhir.json()
    assert resource["resourceType"] == "QuestionnaireResponse" and resource["status"] == "completed"
    groups = {group["linkId"]: group for group in resource["item"]}
    phq9 = {item["linkId"]: item for item in groups["phq9"]["item"]}
    assert [phq9[f"phq9_{n}"]["answer"][0]["valueCoding"]["code"] for n in range(1, 10)] == [str(v) for v in PHQ9]
    assert phq9["phq9_total"]["answer"] == [{"valueInteger": 12}] and phq9["phq9_band"]["answer"] == [{"valueString": "Moderate"}]
    answers = {item["linkId"]: item for item in groups["answers"]["item"]}
    assert answers["current_medications"]["answer"] == [{"valueString": "sertraline"}, {"valueString": "lisinopril"}]
    assert len(groups["clinician_flags"]["item"][0]["answer"]) == 2
    assert resource["authored"].endswith("+00:00")

    printable = staff.get(f"/intakes/{intake}/print").text
    assert f"Pre-consultation intake #{intake}" in printable and "PHQ-9: 12 (Moderate)" in printable
    assert "/logout" not in printable
    exports = [e["detail"] for e in console.audit("dana@clinic.example") if e["action"] == "export_intake"]
    assert exports == ["csv", "fhir", "printable page"]


def test_started_intake_exports_as_in_progress(console: Console, staff: Staff) -> None:
    intake = add_intake(console.engine, "patient-5", status="started")
    assert staff.get(f"/intakes/{intake}/export.fhir.json").json()["status"] == "in-progress"
    assert staff.get("/intakes/999999").status_code == 404


def test_unanswered_questions_are_grouped_and_counted_with_daily_figures(console: Console, staff: Staff) -> None:
    noon_yesterday = (time.time() // 86400 - 1) * 86400 + 12 * 3600  # one UTC day whenever the test runs, even at midnight
    dont_know = [{"user": "Do you take Aetna?"}, {"action": "utter_dont_know"}, {"bot": "I don't know."}]
    add_events(console.engine, "a", dont_know, noon_yesterday)
    add_events(console.engine, "b", [{"user": "do you take aetna"}, {"action": "utter_dont_know"}], noon_yesterday)
    add_events(console.engine, "c", [{"user": "where do I park"}, {"action": "action_offer_topics"}], noon_yesterday)
    add_events(console.engine, "d", [{"user": "how much is it"}, {"action": "utter_faq"}], noon_yesterday)
    add_intake(console.engine, "d", now=noon_yesterday)
    add_alert(console.engine, "a", created_at=noon_yesterday)
    page = staff.get("/insights").text
    assert "<td>do you take aetna</td><td>2</td><td>2</td><td>I don&#39;t know (2)</td>" in page
    assert "<td>where do I park</td><td>1</td><td>1</td><td>Low confidence: offered topics (1)</td>" in page
    assert "how much is it" not in page
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(noon_yesterday))
    assert f"<tr><td>{yesterday}</td><td>4</td><td>1</td><td>1</td><td>1</td><td>3</td></tr>" in page
