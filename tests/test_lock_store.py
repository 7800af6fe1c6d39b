"""The Redis lock store lets one turn of a conversation run at a time, across Rasa instances.

Each thread below stands for a Rasa instance with its own lock store and event
loop, all on the machine's Redis (fails, never skips, when it is unreachable).
With Rasa 3.6's `RedisLockStore` queue changes (read, change, write) two
instances could both take "the next ticket" and run together.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import redis
from rasa.utils.endpoints import EndpointConfig

from bot.outage_lock_store import OutageAwareRedisLockStore
from tests.scaled_services import REDIS_URL, check_shared_redis

INSTANCES = 4
TURNS_EACH = 15


def lock_store() -> OutageAwareRedisLockStore:
    url = redis.connection.parse_url(REDIS_URL)
    return OutageAwareRedisLockStore(EndpointConfig(url=url.get("host", "127.0.0.1"), port=url.get("port", 6379),
                                                    db=url.get("db", 0)))  # fmt: skip


def test_turns_of_one_conversation_on_several_instances_never_overlap() -> None:
    check_shared_redis()
    conversation = f"lock-test-{uuid.uuid4().hex}"
    guard = threading.Lock()
    running: list[int] = []
    most_at_once = 0
    turns_run = 0

    async def turn(store: OutageAwareRedisLockStore) -> None:
        nonlocal most_at_once, turns_run
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.005):
            with guard:
                running.append(1)
                most_at_once = max(most_at_once, len(running))
            await asyncio.sleep(0.003)
            with guard:
                running.pop()
                turns_run += 1

    async def instance(store: OutageAwareRedisLockStore) -> None:
        await asyncio.gather(*(turn(store) for _ in range(TURNS_EACH)))

    stores = [lock_store() for _ in range(INSTANCES)]
    started = time.monotonic()
    with ThreadPoolExecutor(INSTANCES) as pool:
        list(pool.map(lambda store: asyncio.run(asyncio.wait_for(instance(store), timeout=60)), stores))
    assert turns_run == INSTANCES * TURNS_EACH, "every turn got the lock once"
    assert most_at_once == 1, "no two turns held the lock together"
    assert stores[0].get_lock(conversation) is None, "the queue is gone once the last turn is done"
    assert time.monotonic() - started < 60
