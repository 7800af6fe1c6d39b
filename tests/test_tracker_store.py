"""The project's tracker store keeps and publishes exactly what Rasa's SQL tracker store does.

It only drops Rasa's second read of the conversation and moves the database calls
off the event loop (bot/tracker_store.py), so the same conversation saved through
both must give the same rows back and the same messages to the event broker (the
crisis-alert outbox reads those).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import ClinicTrackerStore, deserialise

DOMAIN = Domain.from_dict(
    {
        "intents": ["greet", "crisis_disclosure"],
        "slots": {"crisis_detected": {"type": "bool", "mappings": [{"type": "custom"}]}},
        "responses": {"utter_greet": [{"text": "Hi"}], "utter_crisis": [{"text": "Call 988"}]},
    }
)


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)

    def is_ready(self) -> bool:
        return True


def turns() -> list[list[Event]]:
    """Two sessions of a conversation, turn by turn, with fixed timestamps so both stores get equal events."""
    greet = {"name": "greet", "confidence": 0.9}
    crisis = {"name": "crisis_disclosure", "confidence": 1.0}

    def session(t: float) -> list[Event]:
        return [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t + 0.1), listen(t + 0.2)]

    def listen(t: float) -> Event:
        return ActionExecuted("action_listen", timestamp=t)

    def hello(text: str, t: float) -> list[Event]:
        reply = [ActionExecuted("utter_greet", timestamp=t + 0.1), BotUttered("Hi", timestamp=t + 0.2)]
        return [UserUttered(text, greet, timestamp=t), *reply]

    return [
        session(1.0),
        [*hello("hi", 2.0), listen(2.3)],
        [UserUttered("i want to end it", crisis, timestamp=3.0), SlotSet("crisis_detected", True, timestamp=3.1),
         ActionExecuted("utter_crisis", timestamp=3.2), BotUttered("Call 988", timestamp=3.3), listen(3.4)],
        session(4.0),
        [*hello("hi again", 5.0), listen(5.3)],
    ]  # fmt: skip


async def converse(store: SQLTrackerStore, sender: str) -> None:
    """Save after every turn, and once more with nothing new, as Rasa's processor can."""
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for events in turns():
        for event in events:
            tracker.update(event, DOMAIN)
        await store.save(tracker)
    await store.save(tracker)


async def run_both(tmp_path: Path) -> tuple[RecordingBroker, RecordingBroker, SQLTrackerStore, ClinicTrackerStore]:
    rasa_broker, our_broker = RecordingBroker(), RecordingBroker()
    rasa_store = SQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}", event_broker=rasa_broker)
    our_store = ClinicTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'ours.db'}", event_broker=our_broker)
    await converse(rasa_store, "patient-1")
    await converse(our_store, "patient-1")
    return rasa_broker, our_broker, rasa_store, our_store


def test_the_broker_gets_every_new_event_once_as_with_rasas_store(tmp_path: Path) -> None:
    rasa_broker, our_broker, _, _ = asyncio.run(run_both(tmp_path))
    assert our_broker.published == rasa_broker.published
    crisis_turns = [e for e in our_broker.published if e["event"] == "user" and e["text"] == "i want to end it"]
    assert crisis_turns and crisis_turns[0]["parse_data"]["intent"]["name"] == "crisis_disclosure"
    assert all(e["sender_id"] == "patient-1" for e in our_broker.published)


def test_the_stored_conversation_reads_back_as_with_rasas_store(tmp_path: Path) -> None:
    async def scenario() -> None:
        _, _, rasa_store, our_store = await run_both(tmp_path)
        for name in ("retrieve", "retrieve_full_tracker"):
            ours = await getattr(our_store, name)("patient-1")
            theirs = await getattr(rasa_store, name)("patient-1")
            assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]
        latest = await our_store.retrieve("patient-1")
        assert latest.events[0] == SessionStarted(timestamp=4.1)  # the latest session only
        assert list(await our_store.keys()) == ["patient-1"]
        assert await our_store.retrieve("nobody") is None

    asyncio.run(scenario())


def test_another_process_sees_each_saved_turn(tmp_path: Path) -> None:
    """The kept SQLite connection commits: a store on the same file (another Rasa process) reads each turn as Rasa wrote it."""

    async def scenario() -> None:
        writers = {
            "rasa": SQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}"),
            "ours": ClinicTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / 'ours.db'}"),
        }
        readers = {name: SQLTrackerStore(DOMAIN, host=f"sqlite:///{tmp_path / name}.db") for name in writers}
        tracker = DialogueStateTracker("patient-2", DOMAIN.slots)
        for events in turns()[:3]:
            for event in events:
                tracker.update(event, DOMAIN)
            stored = {}
            for name, writer in writers.items():
                await writer.save(tracker)
                stored[name] = [e.as_dict() for e in (await readers[name].retrieve_full_tracker("patient-2")).events]
            assert stored["ours"] == stored["rasa"]
            assert stored["ours"][-1] == tracker.events[-1].as_dict()

    asyncio.run(scenario())


def test_stored_events_come_back_as_the_events_rasa_would_make() -> None:
    crisis = {"name": "crisis_disclosure", "confidence": 1.0}
    kinds: list[Event] = [
        UserUttered("i want to end it", crisis, [{"entity": "crisis_signal", "value": "rules"}], timestamp=1.0),
        DefinePrevUserUtteredFeaturization(False), EntitiesAdded([{"entity": "kb_entry", "value": "cost_iv"}]),
        ActionExecuted("contact_form", policy="RulePolicy", confidence=1.0), ActiveLoop("contact_form"), ActiveLoop(None),
        SlotSet("requested_slot", "full_name"), SlotSet("intake_retries", {"slot": "email", "count": 2}),
        ActionExecutionRejected("contact_form"), LoopInterrupted(True), FollowupAction("utter_crisis"),
        BotUttered("Call 988", {"buttons": [{"title": "yes", "payload": "/affirm"}]}, {"utter_action": "utter_crisis"}),
        UserUtteranceReverted(), ActionReverted(), Restarted(), AllSlotsReset(), ConversationPaused(), ConversationResumed(),
        SessionStarted(metadata={"channel": "rest"}),
    ]  # fmt: skip
    stored = [event.as_dict() for event in kinds] + [{"event": "topic", "topic": "legacy"}, {"no": "event"}]
    assert deserialise(stored) == deserialise_events(stored)
    assert [type(event) for event in deserialise(stored)] == [type(event) for event in kinds]
