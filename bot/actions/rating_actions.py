"""Handing the conversation back to the bot, and the satisfaction rating.

When an agent resolves a ticket, the console resumes the conversation and
triggers the external intent `EXTERNAL_handoff_resolved` with the ticket
number; `action_handback` greets the user back and `rating_form` asks for a
1–5 score and an optional comment, which `action_save_rating` stores.
"""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.ticket_form import SKIPPED, answering
from bot.actions.tracker_reading import latest_text
from bot.content.ticket_rules import load_ticket_rules
from bot.database.database import StoreUnavailable, get_database
from bot.nlu.normalize import normalize
from bot.tickets import store

RATING_SLOTS = ("rating_ticket", "rating_score", "rating_comment", "rating_attempts")
#: After this many answers that are not a score, the form gives up politely.
MAX_RATING_ATTEMPTS = 2


class ActionHandback(Action):
    """The agent resolved the ticket: the bot is back and asks for a rating next."""

    def name(self) -> str:
        return "action_handback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_handback")
        number = next(tracker.get_latest_entity_values("ticket_id"), None) or tracker.get_slot("ticket_number")
        return [SlotSet(slot, None) for slot in RATING_SLOTS] + [SlotSet("rating_ticket", number)]


class ValidateRatingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_rating_form"

    async def extract_rating_score(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not answering(tracker, "rating_score"):
            return {}
        rules = load_ticket_rules()
        text = latest_text(tracker)
        score = rules.rating_in(text)
        if score is not None:
            return {"rating_score": str(score)}
        attempts = int(tracker.get_slot("rating_attempts") or 0) + 1
        if rules.is_skip(text) or rules.is_cancel(text) or attempts >= MAX_RATING_ATTEMPTS:
            # No rating then, and no comment to ask for.
            return {"rating_score": SKIPPED, "rating_comment": SKIPPED}
        dispatcher.utter_message(response="utter_rating_invalid")
        return {"rating_score": None, "rating_attempts": float(attempts)}

    async def extract_rating_comment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not answering(tracker, "rating_comment"):
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        rules = load_ticket_rules()
        if not text or rules.is_skip(normalize(text)):
            return {"rating_comment": SKIPPED}
        return {"rating_comment": text[: rules.description_max_chars]}


class ActionSaveRating(Action):
    """Stores the score and comment on the ticket, then thanks the user."""

    def name(self) -> str:
        return "action_save_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        score, number = tracker.get_slot("rating_score"), tracker.get_slot("rating_ticket")
        cleared = [SlotSet(slot, None) for slot in RATING_SLOTS]
        if score in (None, SKIPPED) or not number:
            dispatcher.utter_message(response="utter_rating_skipped")
            return cleared
        comment = tracker.get_slot("rating_comment")
        try:
            with get_database().session() as session:
                store.rate(
                    session, number, tracker.sender_id, int(score), None if comment == SKIPPED else comment
                )
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_rating_not_saved")
            return cleared
        except store.TicketError:
            # Rated already, or not this user's ticket: thank them without storing twice.
            pass
        dispatcher.utter_message(response="utter_rating_thanks")
        return cleared
