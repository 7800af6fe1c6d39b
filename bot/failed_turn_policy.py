"""Turns a turn that failed into a polite "please try again", never silence.

Rasa 3.6 has no hook for a custom action that fails (RasaHQ/rasa#5588 and #7630
ask for one): when the action server is down, `MessageProcessor._run_action`
logs the exception, drops the action's events and records the action as run.
The person then gets no reply at all, and a failed form is followed by the
next rule's form, which fails too, until the fallback says "I didn't follow".
Likewise, when the database is unreachable, the tracker store
(`bot.outage_tracker_store`) hands the turn a placeholder conversation marked
with `RECORD_UNAVAILABLE_SLOT`, on which no ordinary answer would be right.

Both leave a trace a policy can read, so this policy answers them the Rasa way,
with the domain response `utter_try_again` (which keeps 988 visible):

- the latest event is a custom action or a form that ran in a live turn and
  produced no event at all. Every action of this project says something or
  sets something when it succeeds, so nothing after it means the action server
  did not answer;
- the conversation record is unavailable and nothing was said this turn.

It never competes with the crisis reply: on a crisis turn it abstains and
`CrisisPolicy` (served by Rasa alone) answers.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crisis.policy import next_crisis_action
from bot.stateless_policy import StatelessPolicy

TRY_AGAIN_RESPONSE = "utter_try_again"
RECORD_UNAVAILABLE_SLOT = "conversation_record_unavailable"


def failed_action(tracker: DialogueStateTracker, domain: Domain) -> str | None:
    """The custom action or form that just ran without producing anything, if any."""
    if not tracker.events:
        return None
    latest = tracker.events[-1]
    if not isinstance(latest, ActionExecuted) or not is_live_turn(tracker):
        return None
    name = latest.action_name or ""
    custom = name in domain.user_actions and not name.startswith(UTTER_PREFIX)  # user_actions includes the responses
    return name if custom or name in domain.form_names else None


def is_live_turn(tracker: DialogueStateTracker) -> bool:
    """Whether the latest message came in through a channel, so its actions really ran.

    `rasa test` replays a story's steps without running any action and without
    a channel; there a custom action is rightly followed by nothing.
    """
    message = tracker.latest_message
    return bool(message and message.input_channel)


def said_something_this_turn(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered):
            return True
    return False


def next_failed_turn_action(tracker: DialogueStateTracker, domain: Domain) -> str | None:
    """`utter_try_again` when this turn failed, `action_listen` right after it, else None."""
    if next_crisis_action(tracker) is not None:
        return None
    if tracker.latest_action_name == TRY_AGAIN_RESPONSE:
        return ACTION_LISTEN_NAME
    if failed_action(tracker, domain):
        return TRY_AGAIN_RESPONSE
    if tracker.get_slot(RECORD_UNAVAILABLE_SLOT) and not said_something_this_turn(tracker):
        return TRY_AGAIN_RESPONSE
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class FailedTurnPolicy(StatelessPolicy):
    """Above RulePolicy (6), so a failed form's active loop cannot take the turn back; crisis abstention keeps it below CrisisPolicy."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}

    def next_action(self, tracker: DialogueStateTracker, domain: Domain) -> str | None:
        return next_failed_turn_action(tracker, domain)
