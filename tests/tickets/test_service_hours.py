"""Service hours, and what a new ticket's handoff decides."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.agents.models import ONLINE
from bot.handoff.decisions import BUSY, CLOSED, LIVE, estimated_wait_minutes, hand_off
from bot.settings import Settings
from bot.tickets.models import QUEUED
from bot.tickets.service_hours import ServiceHours, parse_days, parse_hours
from tests.ticket_factories import make_agent, make_ticket

SHANGHAI = timezone(timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, Shanghai (the 23rd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def hours(text="09:00-21:00", days="1-5") -> ServiceHours:
    return ServiceHours(*parse_hours(text), parse_days(days), "Asia/Shanghai")


def test_open_inside_the_hours_on_a_service_day():
    assert hours().is_open(at(23, 9))
    assert not hours().is_open(at(23, 21))
    assert not hours().is_open(at(22, 12))  # Sunday


def test_the_next_opening_skips_the_weekend():
    assert hours().next_opening(at(27, 22)) == at(30, 9)  # Friday night → Monday
    assert hours().next_opening(at(23, 8)) == at(23, 9)


def test_hours_across_midnight():
    night = hours("20:00-02:00", "1-7")
    assert night.is_open(at(23, 23)) and night.is_open(at(24, 1)) and not night.is_open(at(24, 3))


@pytest.mark.parametrize("bad", ["9-21", "09:00", "late"])
def test_bad_hours_are_refused_clearly(bad):
    with pytest.raises(ValueError, match="09:00-21:00"):
        parse_hours(bad)


def test_days_lists_and_ranges():
    assert parse_days("1-3,6") == {1, 2, 3, 6}
    with pytest.raises(ValueError):
        parse_days("0-8")


def test_the_wait_estimate_counts_rounds_of_conversations():
    assert estimated_wait_minutes(1, 2, 6.0) == 6
    assert estimated_wait_minutes(5, 2, 6.0) == 18
    assert estimated_wait_minutes(1, 0, 0.1) == 1


def test_hand_off_queues_only_with_an_agent_online_inside_hours(database):
    settings = Settings(service_hours="09:00-21:00", service_days="1-7", queue_limit=2)
    inside, outside = at(23, 10).astimezone(timezone.utc), at(23, 22).astimezone(timezone.utc)
    with database.session() as session:
        first = make_ticket(session, "a")
        assert hand_off(session, first, settings, inside).outcome == BUSY  # nobody online
        agent = make_agent(session)
        agent.presence, agent.last_seen_at = ONLINE, inside
        decision = hand_off(session, first, settings, inside)
        assert (decision.outcome, decision.position) == (LIVE, 1) and first.status == QUEUED
        assert hand_off(session, make_ticket(session, "b"), settings, inside).position == 2
        assert hand_off(session, make_ticket(session, "c"), settings, inside).outcome == BUSY  # queue full
        closed = hand_off(session, make_ticket(session, "d"), settings, outside)
        assert closed.outcome == CLOSED and closed.next_opening == at(24, 9)
