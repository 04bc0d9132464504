"""The supervisor's figures and the review queue read what the real Rasa server stored (not generated rows)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.conversations.events_table import read_engine
from bot.database.database import Database
from bot.insights.analytics import insights
from bot.insights.period import Period
from bot.insights.review_queue import collect, items

pytestmark = pytest.mark.e2e


def figures(stack, period: Period) -> dict:
    settings = stack.settings
    events, database = read_engine(settings.conversations_url), Database(settings.ticket_database_url)
    try:
        with events.connect() as connection, database.session() as session:
            return insights(connection, session, period, settings.service_timezone)
    finally:
        events.dispose()
        database.dispose()


def payment_guide(result: dict) -> dict:
    found = [g for g in result["guides"] if g["guide"] == "payment_failed"]
    return found[0] if found else {"started": 0, "solved": 0, "steps": []}


def test_a_guide_solved_at_step_two_is_counted_and_its_messages_can_be_reviewed(stack, chat):
    tz = stack.settings.service_timezone
    today = datetime.now(ZoneInfo(tz)).date()
    period = Period.from_days(today - timedelta(days=1), today + timedelta(days=1), tz, "rest")
    before = figures(stack, period)

    assert any(re.search(r"第1步", t or "") for t in chat.texts("付款失败了"))
    assert any(re.search(r"第2步", t or "") for t in chat.texts("没解决"))
    chat.texts("解决了")

    after = figures(stack, period)
    assert after["messages"]["user"] - before["messages"]["user"] == 3
    guide, earlier = payment_guide(after), payment_guide(before)
    assert guide["started"] - earlier["started"] == 1
    assert guide["solved"] - earlier["solved"] == 1
    step_two = {s["step"]: s for s in guide["steps"]}[2]
    earlier_two = {s["step"]: s for s in earlier["steps"]}.get(2, {"solved": 0})
    assert step_two["solved"] - earlier_two["solved"] == 1
    intents = {row["intent"] for row in after["intents"]}
    assert {"payment_failed", "deny", "affirm"} <= intents

    # Every typed message is below a threshold of 1.01: the review queue reads the real events' confidence.
    database = Database(stack.settings.ticket_database_url)
    events = read_engine(stack.settings.conversations_url)
    try:
        with database.session() as session:
            collect(events, session, period, 1.01)
        with database.session() as session:
            mine = [item for item in items(session, period, None, limit=10_000) if item.conversation_id == chat.conversation]
            assert sorted(item.text for item in mine) == sorted(["付款失败了", "没解决", "解决了"])
            assert all(item.predicted_intent and 0 < item.confidence <= 1 for item in mine)
    finally:
        events.dispose()
        database.dispose()
