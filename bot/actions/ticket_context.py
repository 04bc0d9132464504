"""What the conversation already tells a ticket: category, steps tried, urgency.

Read from the tracker by `action_prepare_ticket` before the ticket form asks
anything, so the form only asks what is still missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from bot.actions.guide_actions import open_position
from bot.actions.tracker_reading import latest_intent
from bot.content.ticket_rules import OTHER, TicketRules
from bot.guides.progress import tried_steps
from bot.nlu.normalize import normalize
from bot.tickets.models import GENERAL_QUEUE, HIGH, NORMAL, SENIOR_QUEUE

#: Intents that are urgent in themselves; each is also its ticket's category.
URGENT_INTENTS = ("account_stolen", "unknown_charge")

# Why the conversation is handed over (stored on the ticket).
REASON_ASKED = "asked"
REASON_GUIDE_EXHAUSTED = "guide_exhausted"
REASON_NOT_UNDERSTOOD = "not_understood"
REASON_URGENT = "urgent"


@dataclass(frozen=True)
class TicketContext:
    category: str
    steps_tried: Tuple[str, ...]
    priority: str
    queue: str
    reason: str
    description: str | None


def _user_texts(tracker: Tracker) -> List[str]:
    return [event.get("text") or "" for event in tracker.events if event.get("event") == "user"]


def read_context(tracker: Tracker, rules: TicketRules, reason: str) -> TicketContext:
    """The ticket's facts from the open guide, the last unsolved guide and the words used."""
    intent = latest_intent(tracker)
    position = open_position(tracker)
    description = None
    if intent in URGENT_INTENTS:
        category, steps = intent, ()
        description = tracker.latest_message.get("text")
    elif position is not None:
        category = position.guide.name
        steps = tuple(f"{category}:{step}" for step in tried_steps(position))
        description = tracker.get_slot("guide_opening")
    elif tracker.get_slot("last_guide"):
        category = tracker.get_slot("last_guide")
        steps = tuple(f"{category}:{step}" for step in tracker.get_slot("last_guide_steps") or ())
        description = tracker.get_slot("guide_opening")
    else:
        category, steps = OTHER, ()
    recent = normalize(" ".join(_user_texts(tracker)[-3:]))
    priority = HIGH if rules.is_urgent(category, recent) else NORMAL
    queue = SENIOR_QUEUE if rules.wants_senior(recent) else GENERAL_QUEUE
    if description:
        description = description.strip()[: rules.description_max_chars] or None
    return TicketContext(category, steps, priority, queue, reason, description)


def context_slots(context: TicketContext, tracker: Tracker) -> List[EventType]:
    """Slots that carry the context to the ticket, and form answers known already."""
    events: List[EventType] = [
        SlotSet("ticket_category", context.category),
        SlotSet("ticket_steps", list(context.steps_tried)),
        SlotSet("ticket_priority", context.priority),
        SlotSet("ticket_queue", context.queue),
        SlotSet("handoff_reason", context.reason),
    ]
    known: Dict[str, Any] = {
        "ticket_contact": tracker.get_slot("phone") or tracker.get_slot("email"),
        "ticket_txn_time": tracker.get_slot("txn_time"),
        "ticket_amount": tracker.get_slot("amount"),
        "ticket_description": context.description,
    }
    for slot, value in known.items():
        if value and not tracker.get_slot(slot):
            events.append(SlotSet(slot, value))
    return events
