"""Opening tickets, handing over, ticket status and cancelling, against a real SQLite store."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.actions.ticket_actions import (
    ActionCancelHandoff,
    ActionOpenTicket,
    ActionPrepareTicket,
    ActionTicketStatus,
)
from bot.actions.ticket_form import SKIPPED
from bot.agents.models import ONLINE
from bot.tickets import store
from bot.tickets.models import CANCELLED, HIGH, OPEN, QUEUED, SENIOR_QUEUE, Ticket
from tests.conftest import slots_of, uttered
from tests.ticket_factories import make_agent, make_ticket


def kinds(events):
    return [e["event"] for e in events]


@pytest.fixture
def agent_online(ticket_db):
    with ticket_db.session() as session:
        agent = make_agent(session)
        agent.presence, agent.last_seen_at = ONLINE, datetime.now(timezone.utc)
    return agent


FORM_ANSWERS = {
    "ticket_contact": "13812345678", "ticket_txn_time": "昨天晚上8点", "ticket_amount": "500",
    "ticket_description": "付款一直失败", "ticket_category": "payment_failed",
    "ticket_steps": ["payment_failed:network", "payment_failed:balance"], "ticket_priority": "normal",
    "ticket_queue": "general", "handoff_reason": "guide_exhausted",
}


def test_prepare_reads_the_open_guide_and_earlier_entities(make_tracker, dispatcher):
    tracker = make_tracker(
        text="转人工", intent="human_handoff",
        slots={"guide": "payment_failed", "guide_step": 3.0, "guide_done_steps": [], "guide_active": True,
               "guide_opening": "付款老是失败", "phone": "13812345678", "amount": "500", "txn_time": "昨天"},
    )
    events = ActionPrepareTicket().run(dispatcher, tracker, {})
    slots = slots_of(events)
    assert slots["ticket_category"] == "payment_failed"
    assert slots["ticket_steps"] == ["payment_failed:network", "payment_failed:balance", "payment_failed:payment_method"]
    assert (slots["ticket_contact"], slots["ticket_amount"], slots["ticket_txn_time"]) == ("13812345678", "500", "昨天")
    assert slots["ticket_description"] == "付款老是失败"
    assert slots["handoff_reason"] == "asked" and slots["ticket_priority"] == "normal"
    assert uttered(dispatcher) == ["utter_handoff_start"]


def test_prepare_after_an_unsolved_guide_keeps_what_was_tried(make_tracker, dispatcher):
    tracker = make_tracker(text="好的", intent="affirm", slots={
        "last_guide": "withdraw_not_arrived", "last_guide_steps": ["working_days", "check_status", "check_card"],
        "guide_opening": "提现三天了还没到"})
    slots = slots_of(ActionPrepareTicket().run(dispatcher, tracker, {}))
    assert slots["ticket_category"] == "withdraw_not_arrived"
    assert len(slots["ticket_steps"]) == 3
    # Money missing → the front of the queue.
    assert slots["ticket_priority"] == HIGH and slots["handoff_reason"] == "guide_exhausted"


def test_stolen_accounts_are_urgent_and_get_advice_first(make_tracker, dispatcher):
    tracker = make_tracker(text="我的号被盗了", intent="account_stolen")
    slots = slots_of(ActionPrepareTicket().run(dispatcher, tracker, {}))
    assert slots["ticket_category"] == "account_stolen" and slots["ticket_priority"] == HIGH
    assert slots["handoff_reason"] == "urgent" and slots["ticket_description"] == "我的号被盗了"
    assert uttered(dispatcher) == ["utter_urgent_account_stolen"]


def test_asking_for_a_supervisor_goes_to_the_senior_queue(make_tracker, dispatcher):
    tracker = make_tracker(text="转人工 找你们主管", intent="human_handoff")
    slots = slots_of(ActionPrepareTicket().run(dispatcher, tracker, {}))
    assert slots["ticket_queue"] == SENIOR_QUEUE and slots["ticket_category"] == "other"


def test_open_ticket_queues_pauses_and_tells_the_position(make_tracker, dispatcher, ticket_db, agent_online):
    tracker = make_tracker(text="付款一直失败", intent="out_of_scope", slots=FORM_ANSWERS, sender_id="u-42")
    events = ActionOpenTicket().run(dispatcher, tracker, {})
    assert kinds(events)[-2:] == ["action", "pause"] and events[-2]["name"] == "action_listen"
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ticket_queued"
    assert message["queue_position"] == 1 and message["wait_minutes"] >= 1
    number = slots_of(events)["ticket_number"]
    assert message["ticket_number"] == number
    with ticket_db.session() as session:
        ticket = store.ticket_by_number(session, number)
        assert ticket.status == QUEUED and ticket.conversation_id == "u-42"
        assert ticket.amount == Decimal("500.00") and ticket.contact_phone == "13812345678"
        assert ticket.steps_tried == FORM_ANSWERS["ticket_steps"] and ticket.txn_time == "昨天晚上8点"
        assert ticket.category == "payment_failed" and ticket.handoff_reason == "guide_exhausted"


def test_skipped_answers_are_stored_as_nothing(make_tracker, dispatcher, ticket_db):
    answers = {**FORM_ANSWERS, "ticket_amount": SKIPPED, "ticket_txn_time": SKIPPED, "ticket_contact": "a@b.cn"}
    events = ActionOpenTicket().run(dispatcher, make_tracker(intent="out_of_scope", slots=answers), {})
    with ticket_db.session() as session:
        ticket = store.ticket_by_number(session, slots_of(events)["ticket_number"])
        assert (ticket.amount, ticket.txn_time, ticket.contact_email, ticket.contact_phone) == (None, None, "a@b.cn", None)


def test_with_nobody_online_the_ticket_is_recorded_and_the_bot_carries_on(make_tracker, dispatcher, ticket_db):
    events = ActionOpenTicket().run(dispatcher, make_tracker(intent="out_of_scope", slots=FORM_ANSWERS), {})
    assert "pause" not in kinds(events)
    assert uttered(dispatcher) == ["utter_ticket_recorded_busy"]
    with ticket_db.session() as session:
        assert session.execute(select(Ticket.status)).scalar_one() == OPEN


def test_outside_service_hours_the_user_is_told_when(make_tracker, dispatcher, ticket_db, agent_online, monkeypatch):
    from bot.settings import reset_settings_cache

    now = datetime.now(timezone(timedelta(hours=8)))
    closed_from = (now + timedelta(hours=1)).strftime("%H:00")
    closed_to = (now + timedelta(hours=2)).strftime("%H:00")
    monkeypatch.setenv("OKPAY_SERVICE_HOURS", f"{closed_from}-{closed_to}")
    reset_settings_cache()
    events = ActionOpenTicket().run(dispatcher, make_tracker(intent="out_of_scope", slots=FORM_ANSWERS), {})
    assert "pause" not in kinds(events)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ticket_recorded_closed"
    assert message["open_time"] == closed_from and message["service_hours"] == f"{closed_from}-{closed_to}"


def test_a_cancelled_form_opens_nothing(make_tracker, dispatcher, ticket_db):
    tracker = make_tracker(intent="cancel", slots={**FORM_ANSWERS, "ticket_cancelled": True})
    events = ActionOpenTicket().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_ticket_cancelled"]
    assert slots_of(events)["ticket_category"] is None
    with ticket_db.session() as session:
        assert session.execute(select(Ticket)).first() is None


def test_a_database_that_is_down_keeps_the_answers(make_tracker, dispatcher, monkeypatch, tmp_path):
    from bot.settings import reset_settings_cache

    monkeypatch.setenv("OKPAY_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reset_settings_cache()
    try:
        events = ActionOpenTicket().run(dispatcher, make_tracker(intent="out_of_scope", slots=FORM_ANSWERS), {})
    finally:
        reset_settings_cache()
    assert uttered(dispatcher) == ["utter_ticket_store_down"]
    assert "ticket_contact" not in slots_of(events) and "ticket_description" not in slots_of(events)


def test_status_of_an_own_ticket(make_tracker, dispatcher, ticket_db):
    with ticket_db.session() as session:
        number = make_ticket(session, "me").number
    tracker = make_tracker(text=f"查询工单 {number}", intent="ticket_status", sender_id="me",
                           entities=[{"entity": "ticket_id", "value": number}])
    ActionTicketStatus().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_ticket_status_open"]
    assert dispatcher.messages[0]["ticket_number"] == number


@pytest.mark.parametrize("number", ["OK-19990101-0001", "theirs"])
def test_unknown_or_foreign_numbers_read_the_same(make_tracker, dispatcher, ticket_db, number):
    with ticket_db.session() as session:
        theirs = make_ticket(session, "someone-else").number
    number = theirs if number == "theirs" else number
    tracker = make_tracker(intent="ticket_status", sender_id="me", entities=[{"entity": "ticket_id", "value": number}])
    ActionTicketStatus().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_ticket_not_found"]
    assert theirs not in str(dispatcher.messages)


def test_my_tickets_lists_the_latest(make_tracker, dispatcher, ticket_db):
    ActionTicketStatus().run(dispatcher, make_tracker(intent="ticket_status", sender_id="me"), {})
    assert uttered(dispatcher) == ["utter_ticket_none"]
    with ticket_db.session() as session:
        make_ticket(session, "me")
        make_ticket(session, "me", queued=True)
    dispatcher.messages.clear()
    ActionTicketStatus().run(dispatcher, make_tracker(intent="ticket_status", sender_id="me"), {})
    assert uttered(dispatcher) == ["utter_ticket_status_queued", "utter_ticket_status_open"]


def test_cancel_while_waiting_leaves_the_queue_and_resumes(make_tracker, dispatcher, ticket_db):
    with ticket_db.session() as session:
        number = make_ticket(session, "me", queued=True).number
    events = ActionCancelHandoff().run(dispatcher, make_tracker(intent="cancel", sender_id="me", paused=True), {})
    assert kinds(events) == ["resume"]
    assert uttered(dispatcher) == ["utter_handoff_cancelled"]
    with ticket_db.session() as session:
        assert store.ticket_by_number(session, number).status == CANCELLED


def test_cancel_once_an_agent_talks_says_nothing(make_tracker, dispatcher, ticket_db):
    with ticket_db.session() as session:
        agent = make_agent(session)
        ticket = make_ticket(session, "me", queued=True)
        store.claim(session, ticket.id, agent, capacity=3)
    events = ActionCancelHandoff().run(dispatcher, make_tracker(intent="cancel", sender_id="me", paused=True), {})
    assert events == [] and dispatcher.messages == []


def test_cancel_with_nothing_under_way(make_tracker, dispatcher, ticket_db):
    events = ActionCancelHandoff().run(dispatcher, make_tracker(intent="cancel", sender_id="me"), {})
    assert events == [] and uttered(dispatcher) == ["utter_nothing_to_cancel"]



def test_the_same_message_processed_again_does_not_open_a_second_ticket(make_tracker, dispatcher, ticket_db,
                                                                          agent_online):
    """Rasa runs a turn again when the tracker could not be saved (a database restart): one ticket still."""

    def run(message_id):
        tracker = make_tracker(intent="out_of_scope", slots=FORM_ANSWERS)
        tracker.latest_message["message_id"] = message_id
        return slots_of(ActionOpenTicket().run(dispatcher, tracker, {}))["ticket_number"]

    first, again = run("msg-1"), run("msg-1")
    assert first == again
    with ticket_db.session() as session:
        tickets = session.execute(select(Ticket)).scalars().all()
        assert [(t.number, t.status, t.request_key) for t in tickets] == [(first, QUEUED, "test-user:msg-1")]
    # The user is told the same queue place both times.
    queued = [m for m in dispatcher.messages if m["response"] == "utter_ticket_queued"]
    assert len(queued) == 2 and queued[0]["queue_position"] == queued[1]["queue_position"] == 1
    assert run("msg-2") != first  # another message is another request


def test_a_message_resent_to_another_replica_does_not_open_a_second_ticket(make_tracker, dispatcher, ticket_db,
                                                                           agent_online):
    """The other replica gives the message a new Rasa message id; the balancer's request id stays the same."""

    def run(message_id, request_id):
        tracker = make_tracker(intent="out_of_scope", slots=FORM_ANSWERS)
        tracker.latest_message["message_id"] = message_id
        tracker.latest_message["metadata"] = {"request_id": request_id}
        return slots_of(ActionOpenTicket().run(dispatcher, tracker, {}))["ticket_number"]

    first = run("replica-1-id", "nginx-req-7")
    assert run("replica-2-id", "nginx-req-7") == first
    with ticket_db.session() as session:
        keys = [t.request_key for t in session.execute(select(Ticket)).scalars().all()]
    assert keys == ["test-user:req:nginx-req-7"]
    assert run("replica-2-id", "nginx-req-8") != first  # a new request is a new ticket


def test_a_conversation_cannot_fill_the_queue_with_tickets(make_tracker, dispatcher, ticket_db, agent_online,
                                                           monkeypatch):
    """A script saying 转人工 again and again: past the hourly limit no ticket is opened and the user is told why."""
    from bot.settings import reset_settings_cache

    monkeypatch.setenv("OKPAY_RATE_TICKETS_PER_HOUR", "2")
    reset_settings_cache()

    def run(message_id, sender="flooder", client=None):
        tracker = make_tracker(intent="out_of_scope", slots=FORM_ANSWERS, sender_id=sender)
        tracker.latest_message["message_id"] = message_id
        if client:
            tracker.latest_message["metadata"] = {"client": client}
        return ActionOpenTicket().run(dispatcher, tracker, {})

    run("m1")
    run("m2")
    events = run("m3")
    assert dispatcher.messages[-1]["response"] == "utter_ticket_limit"
    assert "ticket_number" not in {e.get("name") for e in events if e.get("event") == "slot" and e.get("value")}
    with ticket_db.session() as session:
        owners = [t.conversation_id for t in session.execute(select(Ticket)).scalars().all()]
    assert owners == ["flooder", "flooder"]
    run("m4", sender="someone-else")  # other users are not affected
    assert dispatcher.messages[-1]["response"] != "utter_ticket_limit"


def test_one_client_address_cannot_open_tickets_from_many_conversations(make_tracker, dispatcher, ticket_db,
                                                                        agent_online, monkeypatch):
    """New anonymous widget visitors are free to make: the hashed client address carries the limit."""
    from bot.settings import reset_settings_cache

    monkeypatch.setenv("OKPAY_RATE_TICKETS_PER_HOUR_PER_ADDRESS", "2")
    reset_settings_cache()
    client = f"addr-{uuid.uuid4().hex[:8]}"
    for index in range(3):
        tracker = make_tracker(intent="out_of_scope", slots=FORM_ANSWERS, sender_id=f"widget:a:visitor{index}")
        tracker.latest_message.update(message_id=f"m{index}", metadata={"client": client})
        ActionOpenTicket().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages if m["response"].startswith("utter_ticket_")][-1] == (
        "utter_ticket_limit")
    with ticket_db.session() as session:
        assert len(session.execute(select(Ticket)).scalars().all()) == 2


def test_a_ticket_and_its_handoff_are_counted_once_even_when_the_message_is_processed_again(
        make_tracker, dispatcher, ticket_db, agent_online):
    from tests.metrics_reading import Snapshot

    snapshot = Snapshot()

    def run(message_id, slots=FORM_ANSWERS):
        tracker = make_tracker(intent="out_of_scope", slots=slots, sender_id="u-counted")
        tracker.latest_message["message_id"] = message_id
        ActionOpenTicket().run(dispatcher, tracker, {})

    run("msg-1")
    run("msg-1")  # Rasa runs the turn again: the same ticket, not counted again
    run("msg-2", {**FORM_ANSWERS, "ticket_category": "refund"})
    assert snapshot.delta("okpay_tickets_opened_total", category="payment_failed") == 1
    assert snapshot.delta("okpay_tickets_opened_total", category="refund") == 1
    assert snapshot.delta("okpay_handoffs_requested_total", outcome="live") == 2


def test_a_category_the_rules_do_not_know_is_counted_as_other(make_tracker, dispatcher, ticket_db):
    from tests.metrics_reading import Snapshot

    snapshot = Snapshot()
    slots = {**FORM_ANSWERS, "ticket_category": "某个用户写的类别"}
    ActionOpenTicket().run(dispatcher, make_tracker(intent="out_of_scope", slots=slots), {})
    assert snapshot.delta("okpay_tickets_opened_total", category="other") == 1
    assert snapshot.delta("okpay_handoffs_requested_total", outcome="busy") == 1  # nobody online


def test_a_user_who_stops_waiting_is_counted(make_tracker, dispatcher, ticket_db):
    from tests.metrics_reading import Snapshot

    with ticket_db.session() as session:
        make_ticket(session, "me", queued=True)
    snapshot = Snapshot()
    ActionCancelHandoff().run(dispatcher, make_tracker(intent="cancel", sender_id="me", paused=True), {})
    ActionCancelHandoff().run(dispatcher, make_tracker(intent="cancel", sender_id="me"), {})  # nothing left
    assert snapshot.delta("okpay_handoffs_cancelled_total") == 1
