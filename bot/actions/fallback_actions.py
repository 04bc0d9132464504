"""What the assistant does when it did not understand a message."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.tracker_reading import fallback_streak, ranked_intents
from bot.content.catalog import Topics, load_topics
from bot.observability import metrics

MAX_TOPIC_BUTTONS = 3
#: After this many misunderstood messages in a row, the user is handed to a person.
HAND_OVER_AFTER = 2


def likely_topic_buttons(ranking: Sequence[str], topics: Topics) -> List[Dict[str, str]]:
    """Buttons for the best-ranked topics the assistant serves.

    The classifier's runners-up are usually right about the topic even when it
    is unsure; the defaults fill up when it has no usable guess.
    """
    chosen = [intent for intent in ranking if intent in topics.labels][:MAX_TOPIC_BUTTONS]
    for intent in topics.default:
        if len(chosen) >= MAX_TOPIC_BUTTONS:
            break
        if intent not in chosen:
            chosen.append(intent)
    return [{"title": topics.labels[intent], "payload": f"/{intent}"} for intent in chosen]


class ActionHandleFallback(Action):
    """First miss: ask to rephrase with likely topics. Second in a row: hand over to a person."""

    def name(self) -> str:
        return "action_handle_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if fallback_streak(tracker.events) >= HAND_OVER_AFTER:
            metrics.FALLBACKS.labels(metrics.FALLBACK_HANDOFF).inc()
            dispatcher.utter_message(response="utter_fallback_handoff")
            return [FollowupAction("action_prepare_ticket")]
        metrics.FALLBACKS.labels(metrics.FALLBACK_REPHRASE).inc()
        buttons = likely_topic_buttons(ranked_intents(tracker), load_topics())
        dispatcher.utter_message(response="utter_ask_rephrase", buttons=buttons)
        return []
