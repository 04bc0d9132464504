"""Collecting the review queue from a tracker store: each reason finds exactly its messages, never twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, insert, select

from bot.conversations.events_table import events, metadata, read_engine
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.insights import review_queue
from bot.insights.period import Period
from bot.insights.review_items import ReviewItem
from tests.insights.conversations import DAY, PERIOD, TZ, at, sample_conversations, write
from tests.ticket_factories import make_agent, make_ticket


def write_events(tmp_path, url_kind: str, request) -> str:
    sqlite_url = write(tmp_path / "okpay.db", sample_conversations())
    if url_kind == "sqlite":
        return sqlite_url
    url = request.getfixturevalue("postgres_url")
    source, target = read_engine(sqlite_url), create_engine(url, future=True)
    metadata.create_all(target)
    with source.connect() as reading, target.begin() as writing:
        writing.execute(insert(events), [dict(row._mapping) for row in reading.execute(select(events))])
    source.dispose(), target.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path):
    """(events engine, ticket database) on SQLite files or in a PostgreSQL schema."""
    events_url = write_events(tmp_path, request.param, request)
    tickets_url = f"sqlite:///{tmp_path / 'tickets.db'}" if request.param == "sqlite" else events_url
    upgrade(tickets_url)
    database = Database(tickets_url)
    with database.session() as session:
        make_ticket(session, "telegram:5", channel="telegram", now=PERIOD.start + timedelta(hours=4.25))
    engine = read_engine(events_url)
    yield engine, database
    engine.dispose()
    database.dispose()


def collected(database):
    with database.session() as session:
        return {item.message_id: (item.reason, item.text) for item in
                session.execute(select(ReviewItem)).scalars()}


def test_each_reason_finds_exactly_its_messages_and_never_twice(stores):
    engine, database = stores
    with database.session() as session:
        counts = review_queue.collect(engine, session, PERIOD, 0.6)
    assert counts == {"fallback": 1, "low_confidence": 1, "rephrased": 0, "before_handoff": 1, "not_solved": 1}
    assert collected(database) == {
        "low": ("low_confidence", "我的钱怎么还没到账啊"),
        "fallback": ("fallback", "asdkj 啥"),
        "opened": ("not_solved", "付款一直失败"),
        "before": ("before_handoff", "你们这个扣费我看不懂"),
    }
    with database.session() as session:
        item = session.execute(select(ReviewItem).where(ReviewItem.message_id == "low")).scalar_one()
        assert item.confidence == pytest.approx(0.45) and item.channel == "widget"
        assert item.predicted_intent == "withdraw_not_arrived" and item.status == "pending"
        assert item.message_at.timestamp() == pytest.approx(at(1.1))
        again = review_queue.collect(engine, session, PERIOD, 0.6)
    assert again == {"fallback": 0, "low_confidence": 0, "rephrased": 0, "before_handoff": 0, "not_solved": 0}
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(ReviewItem)).scalar() == 4


def test_threshold_and_channel_narrow_what_is_collected(stores):
    engine, database = stores
    wechat = Period.from_days(DAY, DAY, TZ, "wechat")
    with database.session() as session:
        assert review_queue.collect(engine, session, wechat, 0.4) == {
            "fallback": 0, "low_confidence": 0, "rephrased": 0, "before_handoff": 0, "not_solved": 1}
    assert set(collected(database)) == {"opened"}


def test_a_flag_on_a_collected_message_keeps_one_row(stores):
    engine, database = stores
    with database.session() as session:
        review_queue.collect(engine, session, PERIOD, 0.6)
        agent = make_agent(session)
        low = session.execute(select(ReviewItem).where(ReviewItem.message_id == "low")).scalar_one()
        review_queue.dismiss(session, low.id, agent.id)
    message = review_queue.Message("widget:u:a", "low", "我的钱怎么还没到账啊", "withdraw_not_arrived", 0.45, (),
                                   at(1.1))
    with database.session() as session:
        item = review_queue.flag(session, message, agent.id)
        assert (item.reason, item.status, item.flagged_by) == ("low_confidence", "pending", agent.id)
        review_queue.flag(session, message, agent.id)
        assert session.execute(select(func.count()).select_from(ReviewItem)).scalar() == 4


def test_conversations_store_down_is_its_own_error(tmp_path, tickets_db):
    engine = read_engine(f"sqlite:///{tmp_path / 'missing.db'}")
    with tickets_db.session() as session, pytest.raises(review_queue.ConversationsUnavailable):
        review_queue.collect(engine, session, PERIOD, 0.6)
