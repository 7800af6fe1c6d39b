"""The Rasa process checks action-server replies as Rasa does, with a validator built once (bot/rasa_server.py)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import validate_action_result

REPLIES: list[dict[str, Any]] = [
    {"events": [{"event": "slot", "name": "full_name", "value": "Ada"}], "responses": [{"response": "utter_greet"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "action_execution_rejected", "name": "contact_form"}]},
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "slot", "name": "full_name"}]},  # a slot event without its value
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
]


@pytest.mark.parametrize("reply", REPLIES)
def test_a_reply_passes_or_fails_exactly_as_with_rasas_check(reply: dict[str, Any]) -> None:
    action = RemoteAction("validate_contact_form", None)
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as expected:
        with pytest.raises(jsonschema.ValidationError) as raised:
            validate_action_result(action, reply)
        assert raised.value.message.startswith(expected.message + ". Failed to validate Action server response")
        assert list(raised.value.path) == list(expected.path)
    else:
        assert validate_action_result(action, reply) is True
