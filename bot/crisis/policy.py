"""Makes the crisis reply win over everything else in the dialogue, forms included.

The crisis rules in `data/rules/crisis.yml` describe the behaviour; this policy
guarantees it. Rasa runs an active form before any rule, and a form always
calls its validation action on the action server first: when that server is
down the form fails on every try and the person would get no reply at all. So
on a crisis turn this policy predicts `action_deactivate_loop` (if a form is
active) and then `utter_crisis`, both served by Rasa itself, with a priority
above RulePolicy's.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_DEACTIVATE_LOOP_NAME, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.crisis import CRISIS_INTENT
from bot.stateless_policy import StatelessPolicy

CRISIS_RESPONSE = "utter_crisis"
logger = logging.getLogger(__name__)


def next_crisis_action(tracker: DialogueStateTracker) -> str | None:
    """The action the crisis path needs now, or None when this is not a crisis turn."""
    actions_since_user: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if event.intent_name != CRISIS_INTENT:
                return None
            break
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            actions_since_user.append(event.action_name or "")
    else:
        return None
    if CRISIS_RESPONSE in actions_since_user:
        return None
    if tracker.active_loop_name:
        return ACTION_DEACTIVATE_LOOP_NAME
    return CRISIS_RESPONSE


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class CrisisPolicy(StatelessPolicy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}

    def next_action(self, tracker: DialogueStateTracker, domain: Domain) -> str | None:
        action = next_crisis_action(tracker)
        if action == CRISIS_RESPONSE:
            logger.warning("Crisis reply in conversation %s.", tracker.sender_id)
        return action
