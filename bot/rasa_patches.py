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

The action server gets the events of the latest user messages only
(`ACTION_HISTORY_USER_MESSAGES`, and every event after the oldest of them),
with the slots, the latest message and the active loop as before, and the
user events before the latest with their intent and entities but without
the rankings: Rasa sends the session's every event, whole, with each call,
so at turn 200 encoding them was a quarter of the turn. Our actions read at
most the last three user messages, and of those before the latest only the
intent (`bot/actions/tracker_reading.py`, `bot/actions/ticket_context.py`).

Privacy: every incoming message is a `UserMessage`, whatever its channel; the
patched constructor hides passwords, verification codes, card numbers, card
security codes and expiry dates, and ID numbers in its text
(`bot.privacy.redact`) and in every string of its metadata, at any depth
(`bot.privacy.redact_values`: a channel or a client may put what the user
typed there), and lists the kinds found under `metadata["okpay_redacted"]`,
so the NLU, the tracker store (the message and the session's metadata slot),
the event broker, tickets, logs and the console only ever see "[已隐藏]". Right after Rasa logs
such a message on the tracker (`_handle_message_with_tracker`, the first step
of `handle_message`, before the pause check and the prediction loop), the bot
sends `utter_secret_warning` and records it as a `BotUttered` event only (no
`ActionExecuted`: rules still see `action_listen` as the previous action), so
a user waiting for or talking to an agent is warned too.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache, wraps
from typing import Any, Callable, Dict, List

from jsonschema import exceptions, validators

from bot.privacy import SECRET_WARNING_RESPONSE, redact, redact_values

logger = logging.getLogger(__name__)


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


#: Where a message's metadata lists the kinds of secrets hidden from it ("bank_card", …).
REDACTED_KEY = "okpay_redacted"
#: Metadata keys our channels set, never text a user typed (bot.runtime.message_guard, bot.channels).
CHANNEL_SET_KEYS = ("request_id", "redelivery", "message_kind", REDACTED_KEY)
#: "/affirm", "/EXTERNAL_unsupported_message", "/faq/fees@0.9": a button or a channel speaks, not the user.
_INTENT_COMMAND = re.compile(r"/[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)?(?:@[0-9.]+)?")


def redact_user_message(message: Any) -> None:
    """Hides the secrets in an incoming `UserMessage`'s text (and parse data) and metadata, listing their kinds there.

    The metadata becomes a new dict: the caller's is not changed. Intent commands and empty texts keep their text;
    their metadata is redacted all the same.
    """
    kinds: list = []
    text = message.text
    if isinstance(text, str) and not _INTENT_COMMAND.fullmatch(text):
        redaction = redact(text)
        if redaction.found:
            kinds += redaction.kinds
            message.text = redaction.text
            if isinstance(message.parse_data, dict) and "text" in message.parse_data:
                message.parse_data = {**message.parse_data, "text": redaction.text}
    metadata, metadata_kinds = message.metadata, ()
    if isinstance(metadata, dict):
        # Ids our channels set (a request id may be digits that pass the Luhn check) stay as they are:
        # masked, two messages' ids would become the same and one could be taken for the other.
        kept = {key: metadata[key] for key in CHANNEL_SET_KEYS if key in metadata}
        redacted, metadata_kinds = redact_values({k: v for k, v in metadata.items() if k not in kept})
        metadata = {**redacted, **kept} if metadata_kinds else metadata
    kinds = list(dict.fromkeys([*kinds, *metadata_kinds]))
    if not kinds:
        return
    message.metadata = {**(metadata or {}), REDACTED_KEY: kinds}
    logger.info("privacy: hid %s in a message of %s", ", ".join(kinds), message.sender_id)


async def warn_about_secrets(processor: Any, message: Any, tracker: Any) -> None:
    """Sends `utter_secret_warning` and records it on `tracker`, if secrets were hidden from `message`.

    Only a `BotUttered` event is added, as when an agent speaks: the previous action stays `action_listen`.
    """
    from rasa.core.actions.action import create_bot_utterance

    if not (message.metadata or {}).get(REDACTED_KEY):
        return
    output = message.output_channel
    response = await processor.nlg.generate(SECRET_WARNING_RESPONSE, tracker, output.name())
    if response is None:
        logger.warning("privacy: %s is not in the domain; %s was not warned", SECRET_WARNING_RESPONSE, message.sender_id)
        return
    event = create_bot_utterance({**response, "utter_action": SECRET_WARNING_RESPONSE})
    await output.send_response(tracker.sender_id, event.message())
    tracker.update(event, processor.domain)


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


def _wrap_once(owner: Any, name: str, make_wrapper: Callable[[Any], Any]) -> None:
    """Replaces `owner.<name>` by `make_wrapper(original)`, unless an earlier `apply()` did already."""
    original = getattr(owner, name)
    if getattr(original, "_okpay_patched", False):
        return
    wrapper = wraps(original)(make_wrapper(original))
    wrapper._okpay_patched = True
    setattr(owner, name, wrapper)


def _redacting_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        redact_user_message(self)

    return __init__


def _warning_after_logging(original: Callable[..., Any]) -> Callable[..., Any]:
    async def _handle_message_with_tracker(self: Any, message: Any, tracker: Any) -> None:
        await original(self, message, tracker)
        await warn_about_secrets(self, message, tracker)

    return _handle_message_with_tracker


def apply() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import Event

    MessageProcessor._should_handle_message = staticmethod(should_handle_message)  # type: ignore[assignment]
    _wrap_once(UserMessage, "__init__", _redacting_init)
    _wrap_once(MessageProcessor, "_handle_message_with_tracker", _warning_after_logging)
    _wrap_once(RemoteAction, "_action_call_format", _recent_history_only)

    RemoteAction._validate_action_result = staticmethod(validate_action_result)  # type: ignore[assignment]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
