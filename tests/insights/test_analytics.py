"""The supervisor's figures, checked against generated conversations whose answers are known (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date
from typing import Iterator

import pytest

from bot.conversations.events_table import read_engine
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.insights.analytics import insights
from bot.insights.period import BadPeriod, Period
from tests.insights.generated import TZ, Script, utc, write
from tests.ticket_factories import make_agent
from tests.tickets.conftest import postgres_url, sqlite_url  # noqa: F401 - fixtures

CHANNELS = ("widget", "wechat", "telegram", "rest")
SCRIPTS = (
    [Script("solved", "payment_failed", steps=2)] * 6
    + [Script("ticket", "withdraw", steps=3, rating=r) for r in (5, 4, 4, 2)]
    + [Script("left", "account_locked", steps=1)] * 3
    + [Script("left", "payment_failed", steps=3)] * 2
    + [Script("faq")] * 5
    + [Script("fallback")] * 2
)
#: Messages people typed per script: the opening, each 没解决, then 好了 or 没解决 + 转人工.
USER_MESSAGES = {"solved": 3, "ticket": 5, "faq": 1, "fallback": 1}


def user_messages(script: Script) -> int:
    return USER_MESSAGES.get(script.kind, script.steps)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Iterator[Database]:
    """One database holding both Rasa's events and the tickets, as in production."""
    url = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        agent = make_agent(session)
        write(session, SCRIPTS, utc(2026, 10, 1), days=30, channels=CHANNELS, agent=agent)
        # The month before: none of it may count.
        write(session, SCRIPTS, utc(2026, 9, 1), days=29, channels=CHANNELS, agent=agent,
              prefix="old")
    yield database
    database.dispose()


def figures_for(database: Database, period: Period) -> dict:
    """As the console reads them: the events through a read-only engine, the tickets through the store."""
    events = read_engine(database.url)
    try:
        with events.connect() as connection, database.session() as session:
            return insights(connection, session, period, TZ)
    finally:
        events.dispose()


def figures(database: Database, channel: str | None = None) -> dict:
    return figures_for(database, Period.from_days(date(2026, 10, 1), date(2026, 10, 31), TZ, channel))


def test_conversation_message_intent_and_fallback_figures(store):
    result = figures(store)
    assert result["conversations"] == len(SCRIPTS)
    typed = sum(user_messages(s) for s in SCRIPTS)
    assert result["messages"]["user"] == typed
    assert result["fallback"] == {"count": 2, "rate": round(2 / typed, 4)}
    intents = {row["intent"]: row["count"] for row in result["intents"]}
    assert intents["payment_failed"] == 8 and intents["faq"] == 5 and intents["nlu_fallback"] == 2
    assert intents["deny"] == 6 * 1 + 4 * 3 + 2 * 2
    assert [row["count"] for row in result["intents"]] == sorted(intents.values(), reverse=True)
    assert sum(day["conversations"] for day in result["daily"]) == len(SCRIPTS)
    assert all("2026-10-01" <= day["day"] <= "2026-10-31" for day in result["daily"])


def test_guides_started_solved_ticketed_and_where_users_gave_up(store):
    guides = {row["guide"]: row for row in figures(store)["guides"]}
    payment = guides["payment_failed"]
    assert (payment["started"], payment["solved"], payment["ticket"], payment["left"]) == (8, 6, 0, 2)
    steps = {step["step"]: step for step in payment["steps"]}
    assert [steps[n]["reached"] for n in (1, 2, 3, 4)] == [8, 8, 2, 0]
    assert steps[2]["solved"] == 6 and steps[3]["left"] == 2 and steps[1]["left"] == 0
    assert steps[1]["label"]  # what the step checks, for the chart's axis
    withdraw = guides["withdraw"]
    assert (withdraw["started"], withdraw["solved"], withdraw["ticket"], withdraw["left"]) == (4, 0, 4, 0)
    locked = guides["account_locked"]
    assert (locked["started"], locked["left"]) == (3, 3)
    assert {step["step"]: step["left"] for step in locked["steps"]}[1] == 3


def test_tickets_agents_times_handoff_and_satisfaction(store):
    result = figures(store)
    assert result["tickets"] == {"total": 4, "by_category": {"withdraw": 4}, "by_status": {"resolved": 4}}
    assert result["handoff"] == {"conversations": 4, "live": 4, "rate": round(4 / len(SCRIPTS), 4)}
    assert result["agents"]["waiting"] == {"count": 4, "average": 4.0, "median": 4.0, "p90": 4.0}
    assert result["agents"]["handling"]["average"] == 10.0
    assert result["satisfaction"] == {"count": 4, "average": 3.75,
                                      "distribution": {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}}


@pytest.mark.parametrize("channel", CHANNELS)
def test_one_channel_counts_only_its_conversations(store, channel):
    mine = [s for i, s in enumerate(SCRIPTS) if CHANNELS[i % len(CHANNELS)] == channel]
    result = figures(store, channel)
    assert result["conversations"] == len(mine)
    assert result["messages"]["user"] == sum(user_messages(s) for s in mine)
    assert result["tickets"]["total"] == sum(1 for s in mine if s.kind == "ticket")
    assert sum(g["started"] for g in result["guides"]) == sum(1 for s in mine if s.kind in ("solved", "ticket", "left"))


def test_an_empty_period_has_zeros_not_errors(store):
    result = figures_for(store, Period.from_days(date(2025, 1, 1), date(2025, 1, 31), TZ))
    assert result["conversations"] == 0 and result["fallback"]["rate"] is None
    assert result["guides"] == [] and result["satisfaction"]["average"] is None
    assert result["handoff"]["rate"] is None and result["agents"]["waiting"]["average"] is None


@pytest.mark.parametrize("query", [{"from": "2026-13-01"}, {"from": "2026-10-05", "to": "2026-10-01"},
                                   {"channel": "fax"}, {"from": "2020-01-01", "to": "2026-01-01"}])
def test_unreadable_periods_are_refused(query):
    with pytest.raises(BadPeriod):
        Period.from_query(query, TZ, date(2026, 11, 27))


def test_the_default_period_is_the_last_thirty_days_in_the_service_time_zone():
    period = Period.from_query({}, TZ, date(2026, 11, 27))
    assert period.start.isoformat() == "2026-10-28T16:00:00+00:00"
    assert period.end.isoformat() == "2026-11-27T16:00:00+00:00"
