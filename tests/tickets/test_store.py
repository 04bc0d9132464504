"""The ticket store on SQLite and PostgreSQL: numbers, money, times, claims, history."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.agents.models import ONLINE, SUPERVISOR
from bot.tickets import store
from bot.tickets.models import (
    ASSIGNED,
    CANCELLED,
    HIGH,
    NOTE,
    QUEUED,
    RESOLVED,
    SENIOR_QUEUE,
    UNDELIVERED,
    Rating,
    Ticket,
    TicketEvent,
)
from tests.ticket_factories import TZ, make_agent, make_ticket

NOON_UTC = datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai


def test_numbers_are_readable_and_count_up_per_service_day(database):
    with database.session() as session:
        first = make_ticket(session, now=NOON_UTC)
        second = make_ticket(session, now=NOON_UTC)
        # 17:00 UTC is already the next day in Shanghai.
        next_day = make_ticket(session, now=NOON_UTC.replace(hour=17))
    assert (first.number, second.number) == ("OK-20261121-0001", "OK-20261121-0002")
    assert next_day.number == "OK-20261122-0001"
    assert re.fullmatch(r"OK-\d{8}-\d{4}", first.number)


def test_money_is_decimal_and_times_are_utc(database):
    with database.session() as session:
        number = make_ticket(session, amount=Decimal("500.5"), now=NOON_UTC, steps_tried=["payment_failed:network"]).number
    with database.session() as session:
        ticket = store.ticket_by_number(session, number)
        assert ticket.amount == Decimal("500.50") and isinstance(ticket.amount, Decimal)
        assert ticket.created_at == NOON_UTC and ticket.created_at.tzinfo == timezone.utc
        assert ticket.steps_tried == ["payment_failed:network"]
        assert [event.kind for event in ticket.history] == ["created"]


def test_queue_puts_high_priority_first_then_longest_waiting(database):
    with database.session() as session:
        early = make_ticket(session, "u1", queued=True, now=NOON_UTC)
        later = make_ticket(session, "u2", queued=True, now=NOON_UTC + timedelta(minutes=5))
        urgent = make_ticket(session, "u3", queued=True, now=NOON_UTC + timedelta(minutes=9), priority=HIGH)
        assert [t.number for t in store.waiting(session)] == [urgent.number, early.number, later.number]
        assert store.queue_position(session, later) == 3


def test_claim_assigns_and_records_history(database):
    with database.session() as session:
        agent = make_agent(session)
        ticket = make_ticket(session, queued=True)
        store.claim(session, ticket.id, agent, capacity=3)
    with database.session() as session:
        ticket = session.get(Ticket, ticket.id)
        assert ticket.status == ASSIGNED and ticket.assigned_agent_id == agent.id
        assert [(e.kind, e.to_status) for e in ticket.history][-2:] == [("status", ASSIGNED), ("assigned", None)]


def test_a_claimed_ticket_cannot_be_claimed_again(database):
    with database.session() as session:
        first, second = make_agent(session), make_agent(session)
        ticket = make_ticket(session, queued=True)
        store.claim(session, ticket.id, first, capacity=3)
    with pytest.raises(store.AlreadyClaimed), database.session() as session:
        store.claim(session, ticket.id, second, capacity=3)
    with database.session() as session:
        assert session.get(Ticket, ticket.id).assigned_agent_id == first.id


def test_capacity_and_the_senior_queue_limit_claims(database):
    with database.session() as session:
        agent = make_agent(session)
        senior = make_agent(session, senior=True)
        one, two = make_ticket(session, "a", queued=True), make_ticket(session, "b", queued=True)
        escalated = make_ticket(session, "c", queued=True, queue=SENIOR_QUEUE)
        store.claim(session, one.id, agent, capacity=1)
        with pytest.raises(store.AtCapacity):
            store.claim(session, two.id, agent, capacity=1)
        with pytest.raises(store.NotAllowed):
            store.claim(session, escalated.id, make_agent(session), capacity=3)
        assert store.claim(session, escalated.id, senior, capacity=3).status == ASSIGNED


def test_notes_transfer_and_resolve(database):
    with database.session() as session:
        first, second = make_agent(session), make_agent(session)
        ticket = make_ticket(session, queued=True)
        store.claim(session, ticket.id, first, capacity=3)
        store.add_note(session, ticket, first, "用户说昨天也失败过")
        store.transfer(session, ticket, first, to_agent=second)
        assert ticket.assigned_agent_id == second.id and ticket.status == ASSIGNED
        with pytest.raises(store.NotAllowed):
            store.resolve(session, ticket, first)  # no longer theirs
        store.transfer(session, ticket, second, to_queue=SENIOR_QUEUE)
        assert (ticket.status, ticket.queue, ticket.assigned_agent_id) == (QUEUED, SENIOR_QUEUE, None)
        boss = make_agent(session, role=SUPERVISOR)
        store.claim(session, ticket.id, boss, capacity=3)
        store.resolve(session, ticket, boss)
    with database.session() as session:
        ticket = session.get(Ticket, ticket.id)
        assert ticket.status == RESOLVED and ticket.resolved_at is not None
        kinds = [e.kind for e in ticket.history]
        assert kinds.count("transferred") == 2 and NOTE in kinds
        note = next(e for e in ticket.history if e.kind == NOTE)
        assert note.body == "用户说昨天也失败过"


def test_cancel_waiting_only_touches_the_queued_ticket(database):
    with database.session() as session:
        waiting = make_ticket(session, "me", queued=True)
        other = make_ticket(session, "someone-else", queued=True)
        assert store.cancel_waiting(session, "me").number == waiting.number
        assert store.cancel_waiting(session, "me") is None
        assert waiting.status == CANCELLED and other.status == QUEUED


def test_users_see_only_their_own_tickets(database):
    with database.session() as session:
        mine = make_ticket(session, "me")
        theirs = make_ticket(session, "them")
        assert store.ticket_for_user(session, mine.number, "me").id == mine.id
        assert store.ticket_for_user(session, theirs.number, "me") is None
        assert store.ticket_for_user(session, "OK-19990101-0001", "me") is None
        assert [t.number for t in store.tickets_for_user(session, "me")] == [mine.number]


def test_a_rating_is_stored_once_and_only_by_the_ticket_owner(database):
    with database.session() as session:
        ticket = make_ticket(session, "me")
        store.rate(session, ticket.number, "me", 5, "很耐心")
        with pytest.raises(store.InvalidChange):
            store.rate(session, ticket.number, "me", 1, None)
        with pytest.raises(store.TicketNotFound):
            store.rate(session, ticket.number, "them", 1, None)
        with pytest.raises(store.InvalidChange):
            store.rate(session, make_ticket(session, "me").number, "me", 6, None)
    with database.session() as session:
        ratings = session.execute(select(Rating)).scalars().all()
        assert [(r.score, r.comment) for r in ratings] == [(5, "很耐心")]


def test_available_agents_are_online_recent_and_below_capacity(database):
    now = NOON_UTC
    with database.session() as session:
        online, stale, away = make_agent(session), make_agent(session), make_agent(session)
        online.presence = stale.presence = ONLINE
        online.last_seen_at, stale.last_seen_at = now, now - timedelta(minutes=10)
        away.last_seen_at = now
        session.flush()
        assert [a.id for a in store.available_agents(session, 90, 1, now=now)] == [online.id]
        store.claim(session, make_ticket(session, queued=True).id, online, capacity=1)
        assert store.available_agents(session, 90, 1, now=now) == []
        assert [a.id for a in store.online_agents(session, 90, now=now)] == [online.id]


def test_a_failed_transaction_loses_nothing_already_stored(database):
    with database.session() as session:
        kept = make_ticket(session).number
    with pytest.raises(RuntimeError), database.session() as session:
        make_ticket(session)
        raise RuntimeError("crash in the middle")
    with database.session() as session:
        numbers = [t.number for t in session.execute(select(Ticket)).scalars()]
        assert numbers == [kept]
        assert session.execute(select(TicketEvent)).scalars().all()


def test_measured_handling_time_needs_enough_samples(database):
    with database.session() as session:
        agent = make_agent(session, role=SUPERVISOR)
        for minutes in (2, 4, 6, 8, 10):
            ticket = make_ticket(session, queued=True, now=NOON_UTC)
            store.claim(session, ticket.id, agent, capacity=10, now=NOON_UTC)
            store.resolve(session, ticket, agent, now=NOON_UTC + timedelta(minutes=minutes))
            if minutes == 2:
                assert store.measured_handling_minutes(session) is None
        assert store.measured_handling_minutes(session) == pytest.approx(6.0)


def test_timezone_constant_is_the_service_default():
    assert TZ == "Asia/Shanghai"


def test_two_agents_claiming_at_the_same_instant_one_wins(database):
    import threading

    with database.session() as session:
        agents = [make_agent(session).id for _ in range(2)]
        ticket_id = make_ticket(session, queued=True).id
    barrier, outcomes = threading.Barrier(2), []

    def claim_as(agent_id: int) -> None:
        from bot.tickets.models import Agent

        barrier.wait()
        try:
            with database.session() as session:
                store.claim(session, ticket_id, session.get(Agent, agent_id), capacity=3)
            outcomes.append("won")
        except store.AlreadyClaimed:
            outcomes.append("refused")

    threads = [threading.Thread(target=claim_as, args=(agent_id,)) for agent_id in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["refused", "won"]
    with database.session() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.assigned_agent_id in agents
        assert [e.kind for e in ticket.history].count("assigned") == 1


def test_an_undelivered_message_is_noted_on_the_users_latest_ticket(database):
    with database.session() as session:
        older = make_ticket(session, conversation_id="wechat:o1")
        latest = make_ticket(session, conversation_id="wechat:o1")
        ticket = store.record_undelivered(session, "wechat:o1", "wechat", "window_closed")
        assert ticket.id == latest.id != older.id
        assert [e.body for e in latest.history if e.kind == UNDELIVERED] == ["wechat:window_closed"]
        assert store.record_undelivered(session, "wechat:nobody", "wechat", "window_closed") is None


def test_database_run_tries_again_while_the_database_is_unreachable(tmp_path):
    from bot.database.database import Database, StoreUnavailable

    database = Database(f"sqlite:///{tmp_path / 'retry.db'}")
    attempts = []

    def work(session):
        attempts.append(1)
        if len(attempts) < 3:
            raise StoreUnavailable("server closed the connection")
        return "done"

    assert database.run(work, pauses=(0, 0, 0)) == "done" and len(attempts) == 3

    def always_down(session):
        attempts.append(1)
        raise StoreUnavailable("down")

    attempts.clear()
    with pytest.raises(StoreUnavailable):
        database.run(always_down, pauses=(0, 0))
    assert len(attempts) == 3
