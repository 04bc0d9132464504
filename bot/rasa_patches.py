"""Targeted speed fixes to Rasa 3.6.21, applied by `bot.cli.rasa_server`.

Rasa validates every action server response with `jsonschema.validate()`,
which re-checks the (large) event schema and builds a new validator on each
call: measured with py-spy, about a third of the server's CPU per turn that
runs a custom action. The patch validates against the same schema, with the
same error message, through a validator built once.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

from jsonschema import exceptions, validators


@lru_cache(maxsize=1)
def _action_result_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result`, without rebuilding the validator."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def apply() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = staticmethod(validate_action_result)  # type: ignore[assignment]
