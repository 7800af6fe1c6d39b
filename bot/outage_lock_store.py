"""Rasa's Redis lock store, made to fail a turn cleanly while Redis is unreachable.

With several Rasa instances, the Redis lock keeps two turns of one conversation
from running at once. Rasa 3.6's `RedisLockStore` raises `LockError` when
Redis is down, and the turn never starts: Rasa's own REST channel answers 200
with an empty list, and this project's channels answer their generic "try
again" (observed with a private Redis killed mid-conversation), to a crisis
message too, with no staff alert recorded. Running the turn without the lock is
not safe: `SQLTrackerStore.save` appends "the events after the ones already
stored", so two unserialised turns can overwrite each other's events.

So when no ticket can be had, this store lets the turn run without touching
the conversation record: it marks the turn (`bot.outage_tracker_store.LOCK_UNAVAILABLE`),
the tracker store gives it the placeholder conversation and never writes it,
`bot.failed_turn_policy` answers "please try again", and a crisis message
still gets the crisis reply and its staff alert. Once Redis is back, turns
are locked and recorded again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

from bot.outage_tracker_store import LOCK_UNAVAILABLE

logger = logging.getLogger(__name__)


class OutageAwareRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        try:
            ticket, lock = await self.wait_for_turn(conversation_id, lock_lifetime, wait_time_in_seconds)
        except (LockError, RedisError) as error:
            logger.error("Conversation %s: Redis unreachable (%s); the turn is answered but not recorded.",
                         conversation_id, str(error).strip().splitlines()[-1])  # fmt: skip
            marked = LOCK_UNAVAILABLE.set(True)
            try:
                yield TicketLock(conversation_id)
            finally:
                LOCK_UNAVAILABLE.reset(marked)
            return
        try:
            yield lock
        finally:
            try:
                self.cleanup(conversation_id, ticket)
            except RedisError as error:
                # The turn is done and recorded; an unreleased ticket expires after its lifetime.
                logger.warning("Conversation %s: could not release the lock (%s).", conversation_id, error)

    async def wait_for_turn(self, conversation_id: str, lifetime: float, poll_seconds: float) -> tuple[int, TicketLock]:
        """Queue for the conversation's lock; returns the ticket served and the lock.

        Rasa's own wait loops forever when its ticket expires while it waits, which
        happens after an instance dies mid-turn: its ticket blocks the queue until
        it expires, and a ticket queued right behind it expires about as soon.
        Observed in tests/test_faults_load.py as a failed-over turn that never got
        an answer. Here an expired ticket simply queues again.
        """
        ticket = self.issue_ticket(conversation_id, lifetime)
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None or all(queued.number != ticket for queued in lock.tickets if not queued.has_expired()):
                ticket = self.issue_ticket(conversation_id, lifetime)
                continue
            if not lock.is_locked(ticket):
                return ticket, lock
            await asyncio.sleep(poll_seconds)
            self.update_lock(conversation_id)
