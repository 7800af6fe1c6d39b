"""Two Rasa instances on PostgreSQL and Redis serve one conversation without losing a turn.

These tests need the PostgreSQL and Redis servers named by TEST_POSTGRES_URL and
TEST_REDIS_URL (defaults: the standard local ports). They fail, never skip, when
those are unreachable, so CI cannot pass without exercising the scaled set-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import Assistant, new_sender, texts
from tests.scaled_services import REDIS_URL, check_shared_redis, fresh_postgres_database, two_stacks


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def two_instances(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Assistant, Assistant]]:
    check_shared_redis()
    with two_stacks(tmp_path_factory.mktemp("scaled"), database, REDIS_URL, "test-scaled") as (first, second):
        yield Assistant(first), Assistant(second)


def test_turns_alternate_between_instances_and_the_dialogue_stays_consistent(two_instances: tuple[Assistant, Assistant]) -> None:
    a, b = two_instances
    sender = new_sender()
    assert "automated assistant" in texts(a.send("hello", sender))
    assert "Sources:" in texts(b.send("how much does an infusion cost", sender))
    assert "988" in texts(a.send("i want to kill myself", sender))
    follow_up = texts(b.send("yes", sender))
    assert "still here" in follow_up, "instance B must know that instance A just asked 'are you safe?'"
    assert "call you back" in texts(a.send("yes please", sender))
    for instance in (a, b):
        tracker = instance.tracker(sender)
        assert tracker["slots"]["crisis_detected"] is True
        user_turns = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert user_turns == ["hello", "how much does an infusion cost", "i want to kill myself", "yes", "yes please"]


def test_simultaneous_messages_to_both_instances_are_serialised(two_instances: tuple[Assistant, Assistant]) -> None:
    a, b = two_instances
    sender = new_sender()
    a.send("hi", sender)
    messages = [(a, "is ketamine addictive"), (b, "can i drive home after"), (a, "how many infusions"), (b, "does it hurt")]
    with ThreadPoolExecutor(len(messages)) as pool:
        replies = list(pool.map(lambda item: item[0].send(item[1], sender), messages))
    answers = [texts(reply) for reply in replies]
    assert all(answer and "try again" not in answer for answer in answers), f"every message got its answer: {answers}"
    events = a.tracker(sender)["events"]
    user_indexes = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert len(user_indexes) == 5, f"no turn was lost: {[events[i]['text'] for i in user_indexes]}"
    for index, next_index in zip(user_indexes, user_indexes[1:] + [len(events)], strict=True):
        assert any(e["event"] == "bot" for e in events[index:next_index]), "each turn was answered before the next began"
