"""The SQL tracker store, made to fail a turn cleanly while the database is unreachable.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`: when the database
cannot be read it starts a blank conversation, answers from that blank state
and keeps the turn in process memory only. Observed here with PostgreSQL cut
mid-conversation: a questionnaire answer is read as a new conversation's
first message, a person who had just had the crisis reply loses its follow-up
and its reminders, and after the database returns those turns are gone from
the record although the person saw them answered.

This store instead hands such a turn (and a turn that runs without its Redis
lock, see `bot.outage_lock_store`) a placeholder conversation marked with
`RECORD_UNAVAILABLE_SLOT` and never writes that placeholder to the database.
`bot.failed_turn_policy` answers the marked turn with "please try again";
the crisis detector and `CrisisPolicy` still answer a crisis on it, and its
events still reach the event broker, so the staff alert is spooled
(`bot.alerts.broker`) and sent when the database is back.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.failed_turn_policy import RECORD_UNAVAILABLE_SLOT
from bot.tracker_store import ClinicTrackerStore

logger = logging.getLogger(__name__)

# Set by bot.outage_lock_store for a turn that runs without the conversation's lock:
# such a turn must not read-modify-write the record either.
LOCK_UNAVAILABLE: ContextVar[bool] = ContextVar("lock_unavailable", default=False)


class OutageAwareSQLTrackerStore(ClinicTrackerStore):
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if LOCK_UNAVAILABLE.get():
            return self.placeholder(sender_id)
        try:
            return await super().retrieve(sender_id)
        except sa.exc.SQLAlchemyError as error:
            logger.error("Conversation %s: database unreachable (%s); the turn gets 'please try again'.",
                         sender_id, type(error).__name__)  # fmt: skip
            return self.placeholder(sender_id)

    def placeholder(self, sender_id: str) -> DialogueStateTracker:
        tracker = DialogueStateTracker(sender_id, self.domain.slots if self.domain else [])
        tracker.update_with_events([SlotSet(RECORD_UNAVAILABLE_SLOT, True), ActionExecuted(ACTION_LISTEN_NAME)], None)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        if tracker.get_slot(RECORD_UNAVAILABLE_SLOT):
            # Its turn was answered from a placeholder: writing it would splice a blank
            # conversation into the real one. Only the broker hears of it (crisis alerts).
            if self.event_broker:
                await self._stream_new_events(self.event_broker, list(tracker.events), tracker.sender_id)
            return
        await super().save(tracker)
