"""The handoff service: the ticket and the conversation change together, and a half-done change is finished."""
from __future__ import annotations

import asyncio
from typing import Any, List

import pytest
from sqlalchemy import select

from bot.console.rasa_client import NotDelivered
from bot.database.database import Database, StoreUnavailable
from bot.handoff import service as handoff_service
from bot.handoff.service import ANNOUNCE_SENIOR, HAND_BACK, INTRODUCE_AGENT, HandoffService
from bot.tickets import store
from bot.tickets.models import ASSIGNED, QUEUED, RESOLVED, SENIOR_QUEUE, UNDELIVERED, HandoffStep, Ticket
from tests.console.conftest import FakeRasa
from tests.ticket_factories import make_agent, make_ticket

CONVERSATION = "wechat:o_waiting"
REFUSED = NotDelivered('Rasa could not deliver: {"message": "Error: [undelivered:wechat:window_closed] WeChat …"}')


@pytest.fixture
def database(support_db):
    return support_db


@pytest.fixture
def world(database):
    with database.session() as session:
        li, wang = make_agent(session, "li", name="小李"), make_agent(session, "wang", name="小王")
        make_agent(session, "chen", senior=True, name="老陈")
        ticket = make_ticket(session, CONVERSATION, queued=True, channel="wechat")
        return {"li": li.id, "wang": wang.id, "number": ticket.number}


def number_and_status(session: Any, ticket: Ticket) -> tuple:
    return ticket.number, ticket.status, ticket.assigned_agent_id


def steps(database: Database) -> List[tuple]:
    with database.session() as session:
        return [(step.kind, step.done_at is not None, step.attempts, step.last_error)
                for step in session.execute(select(HandoffStep).order_by(HandoffStep.id)).scalars()]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_claim_while_rasa_is_down_is_kept_and_the_introduction_follows_once_rasa_is_back(database, world):
    rasa = FakeRasa()
    service = HandoffService(database, rasa, capacity=3)
    rasa.down = True
    outcome = run(service.claim(world["number"], world["li"], number_and_status))
    assert outcome.view == (world["number"], ASSIGNED, world["li"]) and outcome.delivered is False
    assert steps(database) == [(INTRODUCE_AGENT, False, 1, "down")]
    assert run(service.retry_pending()) == 1  # still down
    rasa.down = False
    assert run(service.retry_pending()) == 0
    assert [(c, name, ch) for c, name, _, ch in rasa.called("introduce_agent")] == [(CONVERSATION, "小李", "wechat")]
    assert steps(database) == [(INTRODUCE_AGENT, True, 3, None)]
    assert run(service.retry_pending()) == 0 and len(rasa.called("introduce_agent")) == 1


def test_claiming_twice_changes_nothing_and_another_agent_is_refused(database, world):
    rasa = FakeRasa()
    service = HandoffService(database, rasa, capacity=3)
    first = run(service.claim(world["number"], world["li"], number_and_status))
    again = run(service.claim(world["number"], world["li"], number_and_status))
    assert first == again and again.delivered is True
    with pytest.raises(store.AlreadyClaimed):
        run(service.claim(world["number"], world["wang"], number_and_status))
    assert len(rasa.called("introduce_agent")) == 1 and len(steps(database)) == 1


def test_steps_of_a_ticket_run_in_order_a_hand_back_never_before_the_introduction(database, world):
    rasa = FakeRasa()
    service = HandoffService(database, rasa, capacity=3)
    rasa.down = True
    run(service.claim(world["number"], world["li"], number_and_status))
    rasa.down = False
    original = rasa.introduce_agent

    async def slow_then_down(*args: Any) -> None:
        rasa.down = True  # the introduction fails again: the hand back must wait behind it
        await original(*args)

    rasa.introduce_agent = slow_then_down
    outcome = run(service.resolve(world["number"], world["li"], number_and_status))
    assert outcome.view[1] == RESOLVED and outcome.delivered is False
    assert rasa.called("hand_back") == []
    rasa.down, rasa.introduce_agent = False, original
    assert run(service.retry_pending()) == 0
    order = [name for name, _ in rasa.calls if name in ("introduce_agent", "hand_back")]
    assert order == ["introduce_agent", "hand_back"]
    assert [kind for kind, done, *_ in steps(database) if done] == [INTRODUCE_AGENT, HAND_BACK]


def test_resolving_twice_hands_back_once(database, world):
    rasa = FakeRasa()
    service = HandoffService(database, rasa, capacity=3)
    run(service.claim(world["number"], world["li"], number_and_status))
    run(service.resolve(world["number"], world["li"], number_and_status))
    again = run(service.resolve(world["number"], world["li"], number_and_status))
    assert again.view[1] == RESOLVED and again.delivered is True
    assert len(rasa.called("hand_back")) == 1


def test_a_transfer_moves_the_ticket_and_tells_the_user(database, world):
    rasa = FakeRasa()
    service = HandoffService(database, rasa, capacity=3)
    run(service.claim(world["number"], world["li"], number_and_status))
    to_wang = run(service.transfer(world["number"], world["li"], number_and_status, to_username="wang"))
    assert to_wang.view == (world["number"], ASSIGNED, world["wang"]) and to_wang.delivered
    assert [call[1] for call in rasa.called("introduce_agent")] == ["小李", "小王"]
    senior = run(service.transfer(world["number"], world["wang"], number_and_status, to_queue=SENIOR_QUEUE))
    assert senior.view[1] == QUEUED and rasa.called("execute") == [(CONVERSATION, "utter_transfer_senior", "wechat")]
    assert [kind for kind, *_ in steps(database)] == [INTRODUCE_AGENT, INTRODUCE_AGENT, ANNOUNCE_SENIOR]
    with pytest.raises(store.UnknownAgent):
        run(service.transfer(world["number"], world["wang"], number_and_status, to_username="nobody"))


def test_a_step_the_users_channel_refuses_is_noted_on_the_ticket_and_not_tried_again(database, world):
    rasa = FakeRasa()

    async def refused(*args: Any) -> None:
        raise REFUSED

    rasa.introduce_agent = refused
    service = HandoffService(database, rasa, capacity=3)
    outcome = run(service.claim(world["number"], world["li"], number_and_status))
    assert outcome.delivered is False
    assert steps(database) == [(INTRODUCE_AGENT, True, 1, "undelivered")]
    with database.session() as session:
        ticket = store.ticket_by_number(session, world["number"])
        assert [event.body for event in ticket.history if event.kind == UNDELIVERED] == ["wechat:window_closed"]
    assert run(service.retry_pending()) == 0


def test_a_reply_the_channel_refuses_is_noted_and_reported(database, world):
    rasa = FakeRasa()
    service = HandoffService(database, rasa, capacity=3)
    run(service.claim(world["number"], world["li"], number_and_status))

    async def refused(*args: Any) -> None:
        raise REFUSED

    rasa.say_as_agent = refused
    with pytest.raises(NotDelivered):
        run(service.reply(world["number"], world["li"], "您好", {"name": "小李", "number": "KF1001"}))
    with database.session() as session:
        ticket = store.ticket_by_number(session, world["number"])
        assert [event.body for event in ticket.history if event.kind == UNDELIVERED] == ["wechat:window_closed"]
    with pytest.raises(store.NotAllowed):
        run(service.reply(world["number"], world["wang"], "我来", {"name": "小王", "number": "KF1002"}))


def test_with_the_ticket_database_down_nothing_reaches_the_conversation(database, world, tmp_path):
    rasa = FakeRasa()
    broken = Database(f"sqlite:///{tmp_path / 'missing' / 'tickets.db'}")
    service = HandoffService(broken, rasa, capacity=3)
    with pytest.raises(StoreUnavailable):
        run(service.claim(world["number"], world["li"], number_and_status))
    assert rasa.calls == []


def test_a_step_is_given_up_after_its_attempts(database, world, monkeypatch):
    monkeypatch.setattr(handoff_service, "MAX_ATTEMPTS", 3)
    rasa = FakeRasa()
    rasa.down = True
    told: List[str] = []

    async def changed(number: str) -> None:
        told.append(number)

    service = HandoffService(database, rasa, capacity=3, changed=changed)
    run(service.claim(world["number"], world["li"], number_and_status))
    for _ in range(5):
        run(service.retry_pending())
    assert steps(database)[0][:3] == (INTRODUCE_AGENT, False, 3)
    assert told == []  # a step given up is not retried, nor its ticket announced as changed, every 5 s



def test_a_step_s_log_line_carries_its_conversation_s_hash_not_its_id(database, world):
    """The console's lines about a ticket's conversation are findable by the conversation's hash (bot.logs)."""
    import logging

    from bot.logs.guard import LogGuard
    from bot.logs.hashing import conversation_hash

    class Kept(logging.Handler):
        records: List[logging.LogRecord] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.records.append(record)

    kept = Kept()
    kept.addFilter(LogGuard(secrets=list))
    logger = logging.getLogger("bot.handoff.service")
    logger.addHandler(kept)
    rasa = FakeRasa()
    rasa.down = True
    try:
        run(HandoffService(database, rasa, capacity=3).claim(world["number"], world["li"], number_and_status))
    finally:
        logger.removeHandler(kept)
    [record] = [record for record in kept.records if "waits for Rasa" in record.getMessage()]
    assert record.okpay_conversation == conversation_hash(CONVERSATION)


def test_claims_transfers_and_resolves_are_counted_once_with_the_wait_in_the_queue(database):
    from datetime import datetime, timedelta, timezone

    from tests.metrics_reading import Snapshot

    queued_at = datetime.now(timezone.utc) - timedelta(minutes=3)
    with database.session() as session:
        li, wang = make_agent(session, "li", name="小李"), make_agent(session, "wang", name="小王")
        make_agent(session, "chen", senior=True, name="老陈")
        first = make_ticket(session, "wechat:o_first", queued=True, channel="wechat", now=queued_at).number
        second = make_ticket(session, "wechat:o_second", queued=True, channel="wechat").number
        later = make_ticket(session, "wechat:o_later", channel="wechat").number  # recorded for a later reply
        li_id, wang_id = li.id, wang.id
    service = HandoffService(database, FakeRasa(), capacity=3)
    snapshot = Snapshot()
    run(service.claim(first, li_id, number_and_status))
    run(service.claim(first, li_id, number_and_status))  # again: nothing changes, nothing counted
    with pytest.raises(store.AlreadyClaimed):
        run(service.claim(first, wang_id, number_and_status))
    run(service.transfer(first, li_id, number_and_status, to_username="wang"))
    run(service.transfer(first, wang_id, number_and_status, to_queue=SENIOR_QUEUE))
    run(service.claim(second, li_id, number_and_status))
    run(service.resolve(second, li_id, number_and_status))
    run(service.resolve(second, li_id, number_and_status))  # resolved already
    run(service.resolve(later, li_id, number_and_status))

    assert snapshot.delta("okpay_handoffs_claimed_total", queue="general") == 2
    assert snapshot.delta("okpay_queue_wait_seconds_count", queue="general") == 2
    waited = snapshot.delta("okpay_queue_wait_seconds_sum", queue="general")
    assert 180 <= waited < 240  # the first waited three minutes, the second a moment
    assert snapshot.delta("okpay_handoffs_transferred_total", to="agent") == 1
    assert snapshot.delta("okpay_handoffs_transferred_total", to="queue") == 1
    assert snapshot.delta("okpay_handoffs_resolved_total", live="true") == 1
    assert snapshot.delta("okpay_handoffs_resolved_total", live="false") == 1


def test_a_claim_whose_transaction_fails_is_not_counted(database, world, monkeypatch):
    from tests.metrics_reading import Snapshot

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise StoreUnavailable("the database went away")

    service = HandoffService(database, FakeRasa(), capacity=3)
    monkeypatch.setattr(handoff_service, "_add_step", refuse)  # fails inside the claim's transaction
    snapshot = Snapshot()
    with pytest.raises(StoreUnavailable):
        run(service.claim(world["number"], world["li"], number_and_status))
    assert snapshot.delta("okpay_handoffs_claimed_total", queue="general") == 0
    with database.session() as session:
        assert store.ticket_by_number(session, world["number"]).status == QUEUED
