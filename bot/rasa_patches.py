"""Targeted speed fixes to Rasa 3.6.21, applied by `bot.cli.rasa_server`.

Rasa validates every action server response with `jsonschema.validate()`,
which re-checks the (large) event schema and builds a new validator on each
call: measured with py-spy, about a third of the server's CPU per turn that
runs a custom action. The patch validates against the same schema, with the
same error message, through a validator built once.

Rasa also finds an event's class by walking every subclass of `Event` for
each event it reads from the tracker store (about 7% of the CPU per turn);
the patch remembers the class of each event name it has resolved.

One behaviour change: a paused conversation (handed to a person) still
answers the `cancel` intent, so a user waiting in the queue can say 取消 and
get the bot back. Rasa itself only lets `/restart` through a pause; the
action that runs (`action_cancel_handoff`) says nothing once an agent has
taken the conversation, so the agent's chat is never interrupted.
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


_event_classes: Dict[str, Any] = {}


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """`Event.resolve_by_type`, remembering the classes it found.

    A name not seen yet is looked up as Rasa does (its first subclass with
    that `type_name`), so events defined after start-up still resolve.
    """
    cls = _event_classes.get(type_name)
    if cls is None:
        import rasa.shared.utils.common
        from rasa.shared.core.events import Event

        for candidate in rasa.shared.utils.common.all_subclasses(Event):
            if candidate.type_name == type_name:
                cls = _event_classes[type_name] = candidate
                break
    if cls is not None:
        return cls
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


#: Intents Rasa handles although the conversation is paused.
INTENTS_THROUGH_PAUSE = frozenset({"restart", "cancel"})


def should_handle_message(tracker: Any) -> bool:
    """`MessageProcessor._should_handle_message`, letting `cancel` through a pause."""
    if not tracker.is_paused():
        return True
    latest = tracker.latest_message
    return latest is not None and latest.intent.get("name") in INTENTS_THROUGH_PAUSE


def apply() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import Event

    MessageProcessor._should_handle_message = staticmethod(should_handle_message)  # type: ignore[assignment]

    RemoteAction._validate_action_result = staticmethod(validate_action_result)  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
