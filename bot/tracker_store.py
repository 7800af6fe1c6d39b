"""Rasa's SQL tracker store without its per-turn stalls; the rows it stores and the events it publishes are Rasa's.

Measured under load (`make bench`), Rasa's `SQLTrackerStore` took about a third of
the Rasa process's time per turn. This subclass keeps its table, its queries' meaning
and its order of work (publish the new events, then insert them), and changes how:

- With an event broker configured (ours, `bot.alerts.broker.AlertOutbox`), every
  save first read and deserialised the whole conversation again only to find the
  events the save is about to insert. `save` counts the stored events anyway; here
  the broker is given exactly the events that count leaves to insert.
- The queries are SQLAlchemy Core statements instead of ORM queries and a unit of
  work (2 ms of CPU per read of a conversation with the ORM, 0.1 ms without), and
  the new events go in as one multi-row insert.
- Stored events are turned back into Rasa events with the event classes looked up
  once; Rasa's `Event.resolve_by_type` lists every event subclass for each event
  (2.5 ms for an 80-event conversation).
- On a SQLite file SQLAlchemy 1.4 opened and closed a connection per session, and
  the close of the last connection checkpoints the write-ahead log. Here one
  connection per thread is kept open (SQLite's usual pattern). PostgreSQL keeps
  Rasa's pool.
- Rasa ran these blocking calls on its event loop, so while one conversation's
  commit waited for the disk (fsync, 4-12 ms here) or for PostgreSQL, no other
  conversation was served. Here they run on one thread of their own; each turn
  still waits for its own save (under the conversation's lock), so the order of a
  conversation's events and what is durable when a reply goes out are as before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.engine import Connection

T = TypeVar("T")
EVENTS: sa.Table = SQLTrackerStore.SQLEvent.__table__


def conversation_rows(sender_id: str, all_sessions: bool) -> sa.sql.Select:
    """Rasa's `SQLTrackerStore._event_query`: a conversation's rows in order, by default since its latest session start."""
    query = sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == sender_id)
    if not all_sessions:
        session_start = (
            sa.select(sa.func.max(EVENTS.c.timestamp))
            .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        query = query.where(sa.or_(EVENTS.c.timestamp >= session_start, session_start.is_(None)))
    return query.order_by(EVENTS.c.id)


@cache
def _event_classes() -> dict[str, type[Event]]:
    """Rasa's `Event.resolve_by_type` as a table: the first event class of each type name, in Rasa's search order."""
    classes: dict[str, type[Event]] = {}
    for event_class in all_subclasses(Event):
        classes.setdefault(event_class.type_name, event_class)
    return classes


def deserialise(stored: Iterable[dict[str, Any]]) -> list[Event]:
    """`rasa.shared.core.events.deserialise_events`, with the classes looked up once."""
    events = []
    for parameters in stored:
        event_class = _event_classes().get(parameters.get("event"))
        # Anything unusual (an unknown or legacy type name) goes through Rasa's own path.
        event = event_class._from_parameters(parameters) if event_class else Event.from_parameters(parameters)
        if event:
            events.append(event)
    return events


def row(sender_id: str, event: Event) -> dict[str, Any]:
    """The `events` row Rasa's `SQLTrackerStore.save` writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class ClinicTrackerStore(SQLTrackerStore):
    """`type: bot.tracker_store.ClinicTrackerStore` in endpoints.yml, with `url: <DATABASE_URL>`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self._database_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-store")

    async def _on_database_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._database_thread, function, *args)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._on_database_thread(self._save, tracker)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return await self._on_database_thread(self._read, sender_id, False)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        return await self._on_database_thread(self._read, conversation_id, True)

    async def keys(self) -> Iterable[str]:
        return await self._on_database_thread(self._keys)

    def _save(self, tracker: DialogueStateTracker) -> None:
        with self.engine.begin() as connection:
            stored = self._count(connection, tracker.sender_id)
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            if self.event_broker is not None:
                for event in new_events:
                    self.event_broker.publish({"sender_id": tracker.sender_id, **event.as_dict()})
            if new_events:
                connection.execute(sa.insert(EVENTS), [row(tracker.sender_id, event) for event in new_events])

    @staticmethod
    def _count(connection: Connection, sender_id: str) -> int:
        rows = conversation_rows(sender_id, all_sessions=False).subquery()
        return connection.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one()

    def _read(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        with self.engine.connect() as connection:
            stored = [json.loads(data) for (data,) in connection.execute(conversation_rows(sender_id, all_sessions))]
        if not (self.domain and stored):
            return None
        return DialogueStateTracker.from_events(sender_id, deserialise(stored), self.domain.slots)

    def _keys(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.select(EVENTS.c.sender_id).distinct()).scalars())
