"""Actions that open tickets, hand conversations to agents and answer about tickets.

Flow: a trigger (转人工, an unsolved guide, two misunderstood messages, an
urgent topic) runs `action_prepare_ticket`, which reads what the conversation
already says and starts `ticket_form`; when the form ends,
`action_open_ticket` stores the ticket and either queues it for a live agent
(pausing the conversation) or tells the user how they will be contacted.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, ConversationResumed, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.actions.ticket_context import (
    REASON_ASKED,
    REASON_GUIDE_EXHAUSTED,
    REASON_NOT_UNDERSTOOD,
    REASON_URGENT,
    URGENT_INTENTS,
    context_slots,
    read_context,
)
from bot.actions.ticket_form import SKIPPED
from bot.actions.tracker_reading import latest_intent
from bot.content.ticket_rules import OTHER, load_ticket_rules
from bot.database.database import StoreUnavailable, get_database
from bot.handoff.decisions import BUSY, CLOSED, LIMITED, LIVE, HandoffDecision
from bot.handoff.queueing import cancel_waiting, open_and_hand_off
from bot.ratelimit import CLIENT_KEY
from bot.settings import get_settings
from bot.tickets import store
from bot.tickets.models import Ticket
from bot.tickets.service_hours import ServiceHours

FORM_SLOTS = ("ticket_contact", "ticket_txn_time", "ticket_amount", "ticket_description")
CONTEXT_SLOTS = ("ticket_category", "ticket_steps", "ticket_priority", "ticket_queue", "handoff_reason")


def local_time_parts(moment: datetime, prefix: str) -> Dict[str, str]:
    """Month, day and clock of `moment` in the service time zone, for a response's {…}."""
    local = moment.astimezone(ZoneInfo(get_settings().service_timezone))
    return {f"{prefix}_month": str(local.month), f"{prefix}_day": str(local.day), f"{prefix}_time": f"{local:%H:%M}"}


def reason_for(tracker: Tracker) -> str:
    intent = latest_intent(tracker)
    if intent in URGENT_INTENTS:
        return REASON_URGENT
    if intent == "nlu_fallback":
        return REASON_NOT_UNDERSTOOD
    if intent == "affirm" or (intent != "human_handoff" and tracker.get_slot("last_guide")):
        return REASON_GUIDE_EXHAUSTED
    return REASON_ASKED


def draft_from_slots(tracker: Tracker) -> store.TicketDraft:
    def answer(slot: str) -> str | None:
        value = tracker.get_slot(slot)
        return None if value in (None, SKIPPED, "") else str(value)

    contact = answer("ticket_contact") or ""
    amount = answer("ticket_amount")
    return store.TicketDraft(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        category=tracker.get_slot("ticket_category") or OTHER,
        priority=tracker.get_slot("ticket_priority") or "normal",
        queue=tracker.get_slot("ticket_queue") or "general",
        contact_email=contact if "@" in contact else None,
        contact_phone=contact if contact and "@" not in contact else None,
        txn_time=answer("ticket_txn_time"),
        amount=Decimal(amount) if amount else None,
        description=answer("ticket_description"),
        steps_tried=list(tracker.get_slot("ticket_steps") or []),
        handoff_reason=tracker.get_slot("handoff_reason"),
        request_key=request_key(tracker),
    )


def request_key(tracker: Tracker) -> str | None:
    """The key of the message being answered: its request id, or Rasa's message id (`store.message_request_key`)."""
    latest = tracker.latest_message or {}
    return store.message_request_key(tracker.sender_id, latest.get("message_id"), latest.get("metadata"))


def cleared_ticket_slots() -> List[EventType]:
    """Forget this ticket's answers (the contact stays: it is still the user's)."""
    slots = [slot for slot in FORM_SLOTS if slot != "ticket_contact"] + list(CONTEXT_SLOTS)
    events: List[EventType] = [SlotSet(slot, None) for slot in slots]
    events += [
        SlotSet("ticket_cancelled", None), SlotSet("last_guide", None), SlotSet("last_guide_steps", None),
        SlotSet("guide_opening", None), SlotSet("amount", None), SlotSet("txn_time", None),
    ]
    return events


class ActionPrepareTicket(Action):
    """Reads what the conversation already told, then starts the ticket form."""

    def name(self) -> str:
        return "action_prepare_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        reason = reason_for(tracker)
        context = read_context(tracker, load_ticket_rules(), reason)
        if reason == REASON_URGENT:
            dispatcher.utter_message(response=f"utter_urgent_{context.category}")
        elif reason != REASON_NOT_UNDERSTOOD:  # the fallback action has said why already
            dispatcher.utter_message(response="utter_handoff_start")
        return context_slots(context, tracker)


class ActionOpenTicket(Action):
    """Stores the ticket of the finished form and hands the conversation over."""

    def name(self) -> str:
        return "action_open_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if tracker.get_slot("ticket_cancelled"):
            dispatcher.utter_message(response="utter_ticket_cancelled")
            return cleared_ticket_slots()
        settings = get_settings()
        draft = draft_from_slots(tracker)

        client = ((tracker.latest_message or {}).get("metadata") or {}).get(CLIENT_KEY)

        def open_ticket(session: Session) -> tuple[str | None, HandoffDecision]:
            ticket, decision = open_and_hand_off(session, draft, settings, client)
            return (ticket.number if ticket else None), decision

        try:
            # Tried again while the database restarts: the request key keeps it to one ticket.
            number, decision = get_database().run(open_ticket)
        except StoreUnavailable:
            # The answers stay in the slots: saying 转人工 again retries without asking twice.
            dispatcher.utter_message(response="utter_ticket_store_down")
            return [SlotSet("ticket_cancelled", None)]
        if decision.outcome == LIMITED:
            dispatcher.utter_message(response="utter_ticket_limit")
            return cleared_ticket_slots()
        events = cleared_ticket_slots() + [SlotSet("ticket_number", number)]
        if decision.outcome == LIVE:
            dispatcher.utter_message(
                response="utter_ticket_queued", ticket_number=number,
                queue_position=decision.position, wait_minutes=decision.wait_minutes,
            )
            # Listen before pausing, as after any bot turn: a paused conversation
            # predicts nothing (not even the listen), and rules match a user message
            # (取消 while waiting) only after a listen.
            return events + [ActionExecuted("action_listen"), ConversationPaused()]
        if decision.outcome == CLOSED and decision.next_opening is not None:
            dispatcher.utter_message(
                response="utter_ticket_recorded_closed", ticket_number=number,
                service_hours=ServiceHours.from_settings(settings).describe(),
                **local_time_parts(decision.next_opening, "open"),
            )
        else:
            assert decision.outcome == BUSY
            dispatcher.utter_message(response="utter_ticket_recorded_busy", ticket_number=number)
        return events


def utter_status(dispatcher: CollectingDispatcher, ticket: Ticket) -> None:
    dispatcher.utter_message(
        response=f"utter_ticket_status_{ticket.status}", ticket_number=ticket.number,
        **local_time_parts(ticket.updated_at, "updated"),
    )


class ActionTicketStatus(Action):
    """"查询工单 OK-…" / "我的工单": status and last update, of this user's tickets only."""

    def name(self) -> str:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        number = next(tracker.get_latest_entity_values("ticket_id"), None)
        try:
            with get_database().session() as session:
                if number is None:
                    tickets = store.tickets_for_user(session, tracker.sender_id)
                    nothing = "utter_ticket_none"
                else:
                    ticket = store.ticket_for_user(session, str(number), tracker.sender_id)
                    tickets = [] if ticket is None else [ticket]
                    # Unknown and someone else's read the same: nothing is revealed.
                    nothing = "utter_ticket_not_found"
                for ticket in tickets:
                    utter_status(dispatcher, ticket)
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_ticket_store_down_status")
            return []
        if not tickets:
            dispatcher.utter_message(response=nothing)
        return []


class ActionCancelHandoff(Action):
    """取消 outside the form: leave the queue, or nothing to cancel.

    Also runs while the conversation is paused (see bot/rasa_patches.py); once
    an agent has the conversation it stays silent, and the agent reads the message.
    """

    def name(self) -> str:
        return "action_cancel_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        try:
            with get_database().session() as session:
                number, with_agent = cancel_waiting(session, tracker.sender_id)
        except StoreUnavailable:
            if tracker.is_paused():
                return []
            dispatcher.utter_message(response="utter_ticket_store_down_status")
            return []
        if number is not None:
            dispatcher.utter_message(response="utter_handoff_cancelled", ticket_number=number)
            return [ConversationResumed()]
        if with_agent and tracker.is_paused():
            return []
        dispatcher.utter_message(response="utter_nothing_to_cancel")
        return [ConversationResumed()] if tracker.is_paused() else []
