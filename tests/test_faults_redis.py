"""Redis down in the scaled deployment: turns fail cleanly, a crisis still gets its reply, all recovers.

Two Rasa instances share PostgreSQL (a fresh database) and a Redis server of
this test's own, which it kills mid-conversation and starts again; the
machine's Redis is never touched. Fails, never skips, without PostgreSQL.

Before bot/outage_lock_store.py, Rasa 3.6 raised LockError for every turn
while Redis was down; the REST channel answered its generic "try again" to
every message, a crisis message included, and no staff alert was recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.utils.endpoints import EndpointConfig

from bot import storage
from bot.outage_lock_store import OutageAwareRedisLockStore
from tests.conftest import Assistant, new_sender, texts
from tests.scaled_services import PrivateRedis, fresh_postgres_database, two_stacks, user_and_bot_turns
from tests.test_crisis_conversations import assert_crisis_reply

TRY_AGAIN = "Please try again in a moment"
FAQ = "how much does an infusion cost"


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def two_instances(tmp_path: Path, database: str, private_redis: PrivateRedis) -> Iterator[tuple[Assistant, Assistant]]:
    with two_stacks(tmp_path, database, private_redis.url, "test-faults-redis") as (first, second):
        yield Assistant(first), Assistant(second)


def alert_count(database: str, sender: str) -> int:
    with storage.engine(database).connect() as connection:
        query = sa.select(sa.func.count()).select_from(storage.crisis_alerts).where(storage.crisis_alerts.c.sender_id == sender)
        return connection.execute(query).scalar_one()


def test_turns_fail_cleanly_while_redis_is_down_and_recover_when_it_returns(
    two_instances: tuple[Assistant, Assistant], private_redis: PrivateRedis, database: str
) -> None:
    a, b = two_instances
    sender = new_sender()
    assert "automated assistant" in texts(a.send("hello", sender))
    assert "Sources:" in texts(b.send(FAQ, sender))

    private_redis.kill()
    for instance in (a, b):
        failed = instance.send("is ketamine addictive", sender)
        assert TRY_AGAIN in texts(failed) and "988" in texts(failed)
    assert_crisis_reply(b.send("i want to kill myself", sender))
    assert alert_count(database, sender) == 1, "the crisis alert is recorded though the turn could not be"

    private_redis.start()
    assert "Sources:" in texts(a.send(FAQ, sender))
    assert "Sources:" in texts(b.send("can i drive home after", sender))
    stored = user_and_bot_turns(database, sender)
    assert [user for user, _ in stored] == ["hello", FAQ, FAQ, "can i drive home after"], (
        "turns without the lock were not written; every other turn is there, in order"
    )
    assert all(replies for _, replies in stored)


def test_a_turn_whose_ticket_expires_while_it_waits_is_still_served(private_redis: PrivateRedis) -> None:
    """A dead instance's ticket blocks the queue until it expires; Rasa's own lock store would then wait forever."""
    store = OutageAwareRedisLockStore(EndpointConfig(url="127.0.0.1", port=private_redis.port, db=0))
    store.issue_ticket("conversation", 2.0)  # never released: its instance was killed mid-turn

    async def take_the_lock() -> bool:
        async with store.lock("conversation", lock_lifetime=1.0, wait_time_in_seconds=0.1):
            return True

    assert asyncio.run(asyncio.wait_for(take_the_lock(), timeout=15))
    assert store.get_lock("conversation") is None, "the lock is released after the turn"
