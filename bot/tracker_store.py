"""Rasa's SQL tracker store without its per-turn stalls; what it stores and publishes is unchanged.

Measured under load (`make bench`), Rasa's `SQLTrackerStore` spent about a third of
the Rasa process's time per turn on things this subclass removes or moves:

- With an event broker configured (ours, `bot.alerts.broker.AlertOutbox`), every
  save first reads and deserialises the whole conversation again only to find the
  events the save is about to insert. `save` counts the stored events anyway, so
  here the broker is given exactly the events that count leaves to insert, before
  they are inserted, as Rasa does.
- On a SQLite file SQLAlchemy 1.4 opens and closes a connection per session; the
  close of the last connection checkpoints the write-ahead log. Here one connection
  per thread is kept open (SQLite's usual pattern). PostgreSQL keeps Rasa's pool.
- Rasa runs the store's blocking database calls on its event loop, so while one
  conversation's commit waits for the disk (fsync, 4-12 ms here) or for PostgreSQL,
  no other conversation is served. Here they run on one thread of their own; each
  turn still waits for its own save (under the conversation's lock), so the order
  of a conversation's events and what is durable when a reply goes out are as before.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


class ClinicTrackerStore(SQLTrackerStore):
    """`type: bot.tracker_store.ClinicTrackerStore` in endpoints.yml, with `url: <DATABASE_URL>`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
            self.sessionmaker = sessionmaker(bind=self.engine)
        self._database_loop = asyncio.new_event_loop()
        threading.Thread(target=self._database_loop.run_forever, name="tracker-store", daemon=True).start()

    async def _on_database_thread(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._database_loop))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._on_database_thread(super().save(tracker))

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._on_database_thread(super().retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        return await self._on_database_thread(super().retrieve_full_tracker(conversation_id))

    async def keys(self) -> Iterable[str]:
        return await self._on_database_thread(super().keys())

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Nothing here: `_additional_events` publishes, from the count `save` makes anyway."""

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator[Event]:
        events = list(super()._additional_events(session, tracker))
        if self.event_broker is not None:
            for event in events:
                self.event_broker.publish({"sender_id": tracker.sender_id, **event.as_dict()})
        return iter(events)
