"""The changes to Rasa 3.6.21 that have no plug-in point: five replaced methods, in this module only.

Everything else this project changes in Rasa goes through Rasa's own plug-in
points (docs/architecture.md lists them): input channels, the tracker store and
lock store classes named in `endpoints.yml`, routes on a channel's blueprint,
a policy subclass named in `config.yml`. What is left here replaces methods
of Rasa's message processor and of its client of the action server, which no
configuration can swap. Each patch says why, and `tests/runtime/test_rasa_pins.py`
pins the source of every method it replaces (a hash of Rasa 3.6.21's), so an
upgrade that changes one fails loudly instead of silently undoing the fix.

`apply()` is called by the components Rasa loads itself: the rule policy
(`bot.dialogue.rule_policy`, named in `config.yml`, so every command that loads
the model: `rasa run`, `rasa shell`, `rasa test`, `rasa interactive`, ours) and
the tracker store (`endpoints.yml`). It is idempotent.

1. Privacy (`MessageProcessor.log_message`, the step that starts or carries on
   the conversation's session, parses the message and logs it on the tracker,
   for every message and for the HTTP API's `POST …/messages`). Before it, the
   message's secrets are hidden (`bot.privacy.user_messages`: our channels did
   it already, Rasa's own such as `rasa shell`'s did not), so the NLU, the
   tracker store (the message and the session's metadata slot), the event
   broker and the logs see only "[已隐藏]". Right after it, before the pause
   check and the prediction, a message that had secrets gets
   `utter_secret_warning`, recorded as a `BotUttered` event only (no
   `ActionExecuted`: rules still see `action_listen`), so a user waiting for
   or talking to an agent is warned too. The intent the message was given is
   counted there too (`okpay_intents_total`, `bot.observability.metrics`):
   the one step every parsed user message passes.
2. Behaviour (`MessageProcessor._should_handle_message`). A paused
   conversation (handed to a person) still answers the `cancel` intent, so a
   user waiting in the queue can say 取消 and get the bot back; Rasa lets only
   `/restart` through. The action that runs (`action_cancel_handoff`) says
   nothing once an agent has taken the conversation.
3. Behaviour (`RemoteAction.run`). A custom action that fails because the
   action server cannot be reached answers `utter_try_again_shortly` instead
   of leaving the user without a word; the action's events are lost, as in
   Rasa, so the next message carries on from the same step. A rejection (a
   form's validation saying no) passes through.
4. Speed (`RemoteAction._validate_action_result`). Rasa validates every
   action server response with `jsonschema.validate()`, which checks the
   large schema and builds a validator on each call (a third of the CPU of a
   turn that runs a custom action, py-spy). Same schema, same error message,
   a validator built once.
5. Speed (`RemoteAction._action_call_format`). Rasa sends the session's every
   event, whole, with each action call: at turn 200 encoding them was a
   quarter of the turn. The action server gets the events from the latest
   `ACTION_HISTORY_USER_MESSAGES` user messages on, the earlier user events
   without their rankings, and the slots, latest message and active loop as
   before. Our actions read at most the last three user messages, and of the
   earlier ones only the intent (`bot/actions/tracker_reading.py`).
"""
from __future__ import annotations

import logging
from functools import lru_cache, wraps
from typing import Any, Callable, Dict, List, Tuple

from jsonschema import exceptions, validators

from bot.observability import metrics
from bot.privacy import SECRET_WARNING_RESPONSE
from bot.privacy.user_messages import redact_user_message, secrets_hidden

logger = logging.getLogger(__name__)

#: Rasa's version the patches were written for (and `tests/runtime/test_rasa_pins.py` pins).
RASA_VERSION = "3.6.21"


# ------------------------------------------------------------------ 1. privacy
async def warn_about_secrets(processor: Any, message: Any, tracker: Any) -> None:
    """Sends `utter_secret_warning` and records it on `tracker`, if secrets were hidden from `message`.

    Only a `BotUttered` event is added, as when an agent speaks: the previous action stays `action_listen`.
    """
    from rasa.core.actions.action import create_bot_utterance

    if not secrets_hidden(message):
        return
    output = message.output_channel
    response = await processor.nlg.generate(SECRET_WARNING_RESPONSE, tracker, output.name())
    if response is None:
        logger.warning("privacy: %s is not in the domain; %s was not warned", SECRET_WARNING_RESPONSE, message.sender_id)
        return
    event = create_bot_utterance({**response, "utter_action": SECRET_WARNING_RESPONSE})
    await output.send_response(tracker.sender_id, event.message())
    tracker.update(event, processor.domain)


def _hiding_and_warning(original: Callable[..., Any]) -> Callable[..., Any]:
    async def log_message(self: Any, message: Any, should_save_tracker: bool = True) -> Any:
        redact_user_message(message)
        tracker = await original(self, message, should_save_tracker=False)
        metrics.intent_predicted((tracker.latest_message.intent or {}).get("name"), self.domain.intents)
        await warn_about_secrets(self, message, tracker)
        if should_save_tracker:
            await self.save_tracker(tracker)
        return tracker

    return log_message


# ------------------------------------------------------ 2. cancel through pause
#: Intents Rasa handles although the conversation is paused.
INTENTS_THROUGH_PAUSE = frozenset({"restart", "cancel"})


def should_handle_message(tracker: Any) -> bool:
    """`MessageProcessor._should_handle_message`, letting `cancel` through a pause."""
    if not tracker.is_paused():
        return True
    latest = tracker.latest_message
    return latest is not None and latest.intent.get("name") in INTENTS_THROUGH_PAUSE


def _letting_cancel_through(original: Callable[..., bool]) -> Callable[..., bool]:
    def _should_handle_message(tracker: Any) -> bool:
        return should_handle_message(tracker)

    return _should_handle_message


# ------------------------------------------------- 3. apology when actions fail
#: Said when a custom action cannot reach the action server.
TRY_AGAIN_RESPONSE = "utter_try_again_shortly"


def _apologising(original: Callable[..., Any]) -> Callable[..., Any]:
    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        from rasa.core.actions.action import ActionExecutionRejection, create_bot_utterance
        from rasa.shared.exceptions import RasaException

        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException as error:
            logger.error("custom action %s failed (%s): the user was asked to try again shortly", self.name(), error)
            response = await nlg.generate(TRY_AGAIN_RESPONSE, tracker, output_channel.name())
            return [create_bot_utterance(response)] if response else []

    return run


# ------------------------------------------------- 4. action result validation
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


def _validating_once(original: Callable[..., bool]) -> Callable[..., bool]:
    def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
        return validate_action_result(result)

    return _validate_action_result


# ------------------------------------------------- 5. recent history to actions
#: How many of the latest user messages the action server sees the events of (and everything after the oldest).
ACTION_HISTORY_USER_MESSAGES = 10


def recent_events(events: Any, user_messages: int = ACTION_HISTORY_USER_MESSAGES) -> List[Any]:
    """The events from the `user_messages`-th latest user message on (all of them if there are fewer)."""
    from rasa.shared.core.events import UserUttered

    recent, seen = [], 0
    for event in reversed(events):
        recent.append(event)
        if isinstance(event, UserUttered):
            seen += 1
            if seen == user_messages:
                break
    recent.reverse()
    return recent


class _RecentHistory:
    """A tracker whose state, as sent to the action server, has only its recent events."""

    def __init__(self, tracker: Any) -> None:
        self._tracker = tracker

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)

    def current_state(self, event_verbosity: Any = None) -> Dict[str, Any]:
        from rasa.shared.core.trackers import EventVerbosity

        state = self._tracker.current_state(EventVerbosity.NONE)
        events = [event.as_dict() for event in recent_events(self._tracker.events)]
        latest_user = max((index for index, event in enumerate(events) if event.get("event") == "user"), default=-1)
        state["events"] = [_without_rankings(event) if index != latest_user else event
                           for index, event in enumerate(events)]
        return state


def _without_rankings(event: Dict[str, Any]) -> Dict[str, Any]:
    """A user event with its parse data cut to the intent and entities (no rankings, no response selector):
    the latest message keeps everything (`latest_message` too), the earlier ones are read for their intent."""
    parse_data = event.get("parse_data")
    if event.get("event") != "user" or not isinstance(parse_data, dict):
        return event
    kept = {key: parse_data[key] for key in ("intent", "entities", "text") if key in parse_data}
    return {**event, "parse_data": kept}


def _recent_history_only(original: Callable[..., Dict[str, Any]]) -> Callable[..., Dict[str, Any]]:
    def _action_call_format(self: Any, tracker: Any, domain: Any) -> Dict[str, Any]:
        return original(self, _RecentHistory(tracker), domain)

    return _action_call_format


# ----------------------------------------------------------------- applying
def patches() -> List[Tuple[Any, str, Callable[[Any], Any]]]:
    """Every patch: (Rasa's class, the method replaced, a function of the original giving its replacement)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    return [
        (MessageProcessor, "log_message", _hiding_and_warning),
        (MessageProcessor, "_should_handle_message", _letting_cancel_through),
        (RemoteAction, "run", _apologising),
        (RemoteAction, "_validate_action_result", _validating_once),
        (RemoteAction, "_action_call_format", _recent_history_only),
    ]


def original(owner: Any, name: str) -> Callable[..., Any]:
    """Rasa's own `owner.<name>`, whether or not it is patched."""
    function = owner.__dict__[name]
    function = function.__func__ if isinstance(function, staticmethod) else function
    return getattr(function, "__wrapped__", function)


def apply() -> None:
    """Replaces the methods (once: a second call changes nothing)."""
    for owner, name, make_replacement in patches():
        current = owner.__dict__[name]
        if getattr(getattr(current, "__func__", current), "_okpay_patched", False):
            continue
        rasas = original(owner, name)
        replacement = wraps(rasas)(make_replacement(rasas))  # __wrapped__: Rasa's, for the pins and `original`
        replacement._okpay_patched = True
        setattr(owner, name, staticmethod(replacement) if isinstance(current, staticmethod) else replacement)
