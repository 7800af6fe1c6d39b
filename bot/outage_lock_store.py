"""Rasa's Redis lock store, made safe for several Rasa instances and for a Redis outage.

With several Rasa instances, the Redis lock keeps two turns of one conversation
from running at once. Rasa 3.6's `RedisLockStore` does not, for two reasons:

- Every change to a conversation's ticket queue is a read, a change in Python
  and a write (`get_lock` ... `save_lock`). Two instances issuing a ticket at
  the same moment both read the same queue and the later write wins, so both
  hold "the next ticket" and run at once; `cleanup` can likewise delete a
  queue another instance has just joined. Observed in
  tests/test_scaled_deployment.py as a lost user turn in 4 runs of 5: with two
  turns unserialised, `SQLTrackerStore.save` appends "the events after the
  ones already stored" and one turn's events overwrite the other's. Here every
  change is one Redis transaction (WATCH/MULTI, redis-py's `transaction`),
  retried when another instance wrote the queue in between.
- Rasa's wait loops forever when its ticket expires while it waits, which
  happens after an instance dies mid-turn: its ticket blocks the queue until
  it expires, and a ticket queued right behind it expires about as soon
  (tests/test_faults_load.py). Here an expired ticket simply queues again.

When Redis is unreachable Rasa raises `LockError` and the turn never starts:
its REST channel answers 200 with an empty list, this project's channels their
generic "try again", to a crisis message too, with no staff alert recorded.
Running the turn without the lock is not safe either (see above). So when no
ticket can be had, this store lets the turn run without touching the
conversation record: it marks the turn (`bot.outage_tracker_store.LOCK_UNAVAILABLE`),
the tracker store gives it the placeholder conversation and never writes it,
`bot.failed_turn_policy` answers "please try again", and a crisis message
still gets the crisis reply and its staff alert. Once Redis is back, turns
are locked and recorded again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.client import Pipeline
from redis.exceptions import RedisError

from bot.outage_tracker_store import LOCK_UNAVAILABLE

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _same(ticket: Ticket, other: Ticket) -> bool:
    """Ticket numbers restart once a queue empties, so a ticket is known by its number and its expiry together."""
    return (ticket.number, ticket.expires) == (other.number, other.expires)


def _join(queue: TicketLock, lifetime: float) -> Ticket:
    queue.remove_expired_tickets()
    ticket = Ticket(queue.last_issued + 1, time.time() + lifetime)
    queue.tickets.append(ticket)
    return ticket


def _leave(queue: TicketLock, ticket: Ticket) -> None:
    queue.remove_expired_tickets()
    queue.tickets = deque(queued for queued in queue.tickets if not _same(queued, ticket))


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
                self._change_queue(conversation_id, lambda queue: _leave(queue, ticket))
            except RedisError as error:
                # The turn is done and recorded; an unreleased ticket expires after its lifetime.
                logger.warning("Conversation %s: could not release the lock (%s).", conversation_id, error)

    async def wait_for_turn(self, conversation_id: str, lifetime: float, poll_seconds: float) -> tuple[Ticket, TicketLock]:
        """Queues for the conversation's lock; returns the ticket served and the queue as it was then."""
        ticket = self.take_ticket(conversation_id, lifetime)
        while True:
            queue = self.get_lock(conversation_id) or TicketLock(conversation_id)
            queue.remove_expired_tickets()
            if not any(_same(queued, ticket) for queued in queue.tickets):
                ticket = self.take_ticket(conversation_id, lifetime)
                continue
            if _same(queue.tickets[0], ticket):
                return ticket, queue
            await asyncio.sleep(poll_seconds)

    def take_ticket(self, conversation_id: str, lifetime: float) -> Ticket:
        """Joins the back of the conversation's queue."""
        return self._change_queue(conversation_id, lambda queue: _join(queue, lifetime))

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self.take_ticket(conversation_id, lock_lifetime).number

    def _change_queue(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Reads, changes and writes back the queue as one transaction; an empty queue is deleted."""
        key = self.key_prefix + conversation_id

        def attempt(pipe: Pipeline) -> T:
            stored = pipe.get(key)
            queue = TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
            outcome = change(queue)
            pipe.multi()
            if queue.tickets:
                pipe.set(key, queue.dumps())
            else:
                pipe.delete(key)
            return outcome

        return self.red.transaction(attempt, key, value_from_callable=True)
