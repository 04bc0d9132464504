"""Small, pure readings of a tracker that several actions need."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List

from rasa_sdk import Tracker

from bot.nlu.normalize import normalize

FALLBACK_INTENT = "nlu_fallback"
LISTEN = "action_listen"


def latest_text(tracker: Tracker) -> str:
    """The latest user message, normalised the way the NLU saw it."""
    return normalize(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _previous_bot_turn(events: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    """The events between the two latest user messages, latest first."""
    seen_user = False
    for event in reversed(list(events)):
        if event.get("event") == "user":
            if seen_user:
                return
            seen_user = True
        elif seen_user:
            yield event


def last_bot_action_before_user(events: Iterable[Dict[str, Any]]) -> str | None:
    """The name of the last action run before the latest user message.

    `action_listen` does not count. None when there is no such action.
    """
    return next(
        (e.get("name") for e in _previous_bot_turn(events) if e.get("event") == "action" and e.get("name") != LISTEN),
        None,
    )


def last_bot_response(events: Iterable[Dict[str, Any]]) -> str | None:
    """The response name (utter_…) of the bot's last message before the latest user message."""
    return next(
        ((e.get("metadata") or {}).get("utter_action") for e in _previous_bot_turn(events) if e.get("event") == "bot"),
        None,
    )


def fallback_streak(events: Iterable[Dict[str, Any]]) -> int:
    """How many of the latest user messages in a row were not understood."""
    streak = 0
    for event in reversed(list(events)):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        streak += 1
    return streak


def ranked_intents(tracker: Tracker) -> List[str]:
    """Intents of the latest message by confidence, without the fallback."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    return [item["name"] for item in ranking if item.get("name") not in (None, FALLBACK_INTENT)]
