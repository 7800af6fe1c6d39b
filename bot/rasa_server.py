"""`python -m bot.rasa_server run ...`: Rasa's own command line, with one per-call cost removed and one wait bounded.

Rasa checks every action-server reply against its response schema with
`jsonschema.validate`, which first validates the schema itself against the JSON
Schema meta-schema, on every call. That check took 10-30 ms of CPU per call here,
a fifth of the Rasa process's time per turn under load (the questionnaire's forms
call the action server on most turns), to re-prove a constant. Here the validator
is built once, for the same schema and the same JSON Schema draft, so the same
replies pass and the same replies are refused, with Rasa's error message.

Rasa waits up to five minutes for the action server (a constant, not a setting).
A hung action server then held the conversation's lock for five minutes: the
visitor saw nothing, and a crisis message sent meanwhile waited behind it. Here
the wait is ACTION_TIMEOUT_SECONDS (default 10); the turn then fails and gets
the "please try again" reply (`bot.failed_turn_policy`), and the next message,
a crisis one included, is answered.

Everything else is `rasa` unchanged (`bot.stack` starts the server this way).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@cache
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` without re-checking the constant schema on each call."""
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
        f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def bound_action_server_wait(seconds: int) -> None:
    """Rasa reads the constant where it is imported: the action call's timeout and every endpoint session's."""
    import rasa.core.actions.action
    import rasa.utils.endpoints

    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = seconds
    rasa.utils.endpoints.DEFAULT_REQUEST_TIMEOUT = seconds


def main() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    # bot.stack passes every setting in the environment (Settings.process_env).
    bound_action_server_wait(int(os.environ.get("ACTION_TIMEOUT_SECONDS", "10")))
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
