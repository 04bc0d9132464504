"""Validation of `ticket_form`: contact, transaction time, amount, description.

Each answer is read from the raw text of the reply to the question the form
asked (`requested_slot`), with the same finders the NLU uses: a phone or an
email for the contact, "五百块" / "¥500" / "500元" / a bare number for the
amount. A wrong answer gets a clear re-ask; optional questions accept 跳过;
取消 (or the `cancel` intent) ends the form without a ticket.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.tracker_reading import latest_intent, latest_text
from bot.content.ticket_rules import load_ticket_rules
from bot.nlu.entity_patterns import find_amounts, find_emails, find_phones, find_times, format_decimal
from bot.nlu.normalize import normalize
from bot.nlu.numbers import parse_number

#: The value of an optional field the user skipped (the form needs a value to move on).
SKIPPED = "-"
REQUESTED_SLOT = "requested_slot"
MAX_AMOUNT = Decimal("100000000")
MAX_TIME_CHARS = 64
SHORT_ANSWER_CHARS = 20


#: What a channel sends for an image, voice message, location … (bot/channels/common.py).
UNREADABLE_INTENT = "EXTERNAL_unsupported_message"


def answering(tracker: Tracker, slot: str | None = None) -> bool:
    """Whether the latest message answers the active form's question (about `slot`).

    False for the message that opened the form: nothing is read from it; and
    for what a channel could not read (an image, a voice message): a rule
    explains that and the form asks again.
    """
    requested = tracker.get_slot(REQUESTED_SLOT)
    if latest_intent(tracker) == UNREADABLE_INTENT:
        return False
    return requested is not None and (slot is None or requested == slot)


def parse_contact(text: str) -> str | None:
    """The first phone number (11 digits) or email in `text`, else None."""
    normalized = normalize(text)
    phone = next(find_phones(normalized), None)
    if phone is not None:
        return phone.value
    email = next(find_emails(normalized), None)
    return email.value if email is not None else None


def parse_amount(text: str) -> Decimal | None:
    """"五百块", "¥500", "500元", "500", "两千五" → Decimal; None if no usable amount."""
    normalized = normalize(text).strip()
    found = next(find_amounts(normalized), None)
    value = Decimal(found.value) if found is not None else parse_number(normalized.rstrip("。.!！"))
    if value is None or value <= 0 or value >= MAX_AMOUNT:
        return None
    return value.quantize(Decimal("0.01"))


def parse_txn_time(text: str) -> str | None:
    """A short answer as said ("上周末", "大概昨天晚上8点"); from a long one, its time expression."""
    normalized = normalize(text).strip()
    if len(normalized) <= SHORT_ANSWER_CHARS:
        return normalized or None
    found = next(find_times(normalized), None)
    return found.text if found is not None else normalized[:MAX_TIME_CHARS]


class ValidateTicketForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        wanted = load_ticket_rules().fields_for(tracker.get_slot("ticket_category"))
        return [slot for slot in domain_slots if slot in wanted]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if answering(tracker) and self._wants_to_cancel(tracker):
            return [SlotSet("ticket_cancelled", True), SlotSet(REQUESTED_SLOT, None)]
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def _wants_to_cancel(tracker: Tracker) -> bool:
        return latest_intent(tracker) == "cancel" or load_ticket_rules().is_cancel(latest_text(tracker))

    def _skipped(self, slot: str, text: str, dispatcher: CollectingDispatcher) -> Dict[str, Any] | None:
        rules = load_ticket_rules()
        if not rules.is_skip(normalize(text)):
            return None
        if slot in rules.optional_fields:
            return {slot: SKIPPED}
        dispatcher.utter_message(response=f"utter_{slot}_required")
        return {slot: None}

    async def extract_ticket_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not answering(tracker, "ticket_contact"):
            return {}
        text = tracker.latest_message.get("text") or ""
        contact = parse_contact(text)
        if contact is not None:
            return {"ticket_contact": contact}
        skipped = self._skipped("ticket_contact", text, dispatcher)
        if skipped is not None:
            return skipped
        dispatcher.utter_message(response="utter_ticket_contact_invalid")
        return {"ticket_contact": None}

    async def extract_ticket_txn_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not answering(tracker, "ticket_txn_time"):
            return {}
        text = tracker.latest_message.get("text") or ""
        skipped = self._skipped("ticket_txn_time", text, dispatcher)
        if skipped is not None:
            return skipped
        value = parse_txn_time(text)
        if value is None:
            dispatcher.utter_message(response="utter_ticket_txn_time_invalid")
        return {"ticket_txn_time": value}

    async def extract_ticket_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not answering(tracker, "ticket_amount"):
            return {}
        text = tracker.latest_message.get("text") or ""
        amount = parse_amount(text)
        if amount is not None:
            return {"ticket_amount": format_decimal(amount)}
        skipped = self._skipped("ticket_amount", text, dispatcher)
        if skipped is not None:
            return skipped
        dispatcher.utter_message(response="utter_ticket_amount_invalid")
        return {"ticket_amount": None}

    async def extract_ticket_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if not answering(tracker, "ticket_description"):
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(response="utter_ticket_description_invalid")
            return {"ticket_description": None}
        limit = load_ticket_rules().description_max_chars
        if len(text) > limit:
            dispatcher.utter_message(response="utter_ticket_description_shortened", limit=limit)
        return {"ticket_description": text[:limit]}
