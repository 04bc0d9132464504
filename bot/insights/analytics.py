"""The supervisor's figures for a period and channel, computed by the databases where they can be.

Conversations, messages, intents and fallbacks are SQL aggregates over Rasa's
`events` table (its `intent_name` column, no JSON); guide runs parse only the
few rows that concern guides (`bot.insights.guide_runs`); tickets, agents'
times and ratings come from the ticket store.
"""
from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from typing import Any, Dict, List, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, cast, distinct, func, not_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.content.catalog import load_guides
from bot.conversations.events_table import FALLBACK_INTENT, events, in_period
from bot.events import EXTERNAL_PREFIX
from bot.insights.guide_runs import EXHAUSTED, LEFT, SOLVED, TICKET, guide_runs, mark_tickets
from bot.insights.period import CHANNELS, Period
from bot.tickets.models import Rating, Ticket

TOP_INTENTS = 10


def _user_messages(period: Period) -> Any:
    """User messages typed or tapped by people (not the EXTERNAL_ intents channels and the console send)."""
    return and_(in_period(period), events.c.type_name == "user",
                not_(func.coalesce(events.c.intent_name, "").startswith(EXTERNAL_PREFIX, autoescape=True)))


def _day(connection: Connection, offset_s: float) -> Any:
    """Days since the epoch in the service time zone, as the database computes them."""
    shifted = (events.c.timestamp + offset_s) / 86400
    if connection.dialect.name == "postgresql":
        return cast(func.floor(shifted), Integer)
    return cast(shifted, Integer)  # SQLite truncates towards zero; timestamps are positive


def conversation_figures(connection: Connection, period: Period, tz: str, top: int = TOP_INTENTS) -> Dict[str, Any]:
    """Conversations, messages, top intents, fallback rate and a day-by-day count."""
    users = _user_messages(period)
    conversations, user_messages = connection.execute(
        select(func.count(distinct(events.c.sender_id)), func.count()).where(users)).one()
    bot_messages = connection.execute(
        select(func.count()).where(in_period(period), events.c.type_name == "bot")).scalar_one()
    intents = connection.execute(
        select(events.c.intent_name, func.count().label("n")).where(users)
        .group_by(events.c.intent_name).order_by(func.count().desc(), events.c.intent_name)).all()
    fallbacks = sum(n for name, n in intents if name == FALLBACK_INTENT)
    offset = ZoneInfo(tz).utcoffset(period.start.replace(tzinfo=None)).total_seconds()
    day = _day(connection, offset)
    daily = connection.execute(
        select(day.label("day"), func.count(distinct(events.c.sender_id)), func.count())
        .where(users).group_by(day).order_by(day)).all()
    return {
        "conversations": conversations,
        "messages": {"user": user_messages, "bot": bot_messages},
        "intents": [{"intent": name or "(none)", "count": n} for name, n in intents[:top]],
        "fallback": {"count": fallbacks, "rate": _rate(fallbacks, user_messages)},
        "daily": [{"day": datetime.utcfromtimestamp(number * 86400).date().isoformat(),
                   "conversations": count, "messages": messages} for number, count, messages in daily],
    }


def ticket_filter(period: Period) -> Any:
    named = [c for c in CHANNELS if c != "rest"]
    if period.channel is None:
        channel = and_(True)
    elif period.channel == "rest":
        channel = Ticket.channel.notin_(named)
    else:
        channel = Ticket.channel == period.channel
    return and_(Ticket.created_at >= period.start, Ticket.created_at < period.end, channel)


def ticket_times(session: Session, period: Period) -> Dict[str, List[float]]:
    """When each conversation of the period got a ticket (epoch seconds), for the guide runs."""
    opened: Dict[str, List[float]] = {}
    for conversation, created in session.execute(
            select(Ticket.conversation_id, Ticket.created_at).where(ticket_filter(period))):
        opened.setdefault(conversation, []).append(created.timestamp())
    return opened


def guide_figures(connection: Connection, tickets: Dict[str, List[float]], period: Period) -> List[Dict[str, Any]]:
    """Per guide: started, solved by the bot, ended in a ticket, every step tried, left; per step: reached, left there."""
    runs = guide_runs(connection, period)
    mark_tickets(runs, tickets)
    guides = load_guides()
    figures = []
    for name in sorted({run.guide for run in runs}, key=lambda n: (list(guides).index(n) if n in guides else 99, n)):
        mine = [run for run in runs if run.guide == name]
        outcomes = Counter(run.outcome for run in mine)
        guide = guides.get(name)
        count = max([len(guide.steps) if guide else 0, *(run.step for run in mine)])
        steps = []
        for number in range(1, count + 1):
            label = guide.steps[number - 1].label if guide and number <= len(guide.steps) else str(number)
            steps.append({
                "step": number, "label": label,
                "reached": sum(1 for run in mine if run.step >= number),
                "left": sum(1 for run in mine if run.outcome == LEFT and run.step == number),
                "solved": sum(1 for run in mine if run.outcome == SOLVED and run.solved_at_step == number),
            })
        figures.append({
            "guide": name, "title": guide.title if guide else name, "started": len(mine),
            "solved": outcomes[SOLVED], "ticket": outcomes[TICKET], "exhausted": outcomes[EXHAUSTED],
            "left": outcomes[LEFT], "steps": steps,
        })
    return figures


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(values: Sequence[float]) -> Dict[str, Any]:
    """Count, mean, median and 90th percentile of durations in seconds, as minutes."""
    if not values:
        return {"count": 0, "average": None, "median": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"count": len(values), "average": round(statistics.fmean(values) / 60, 2),
            "median": round(statistics.median(values) / 60, 2), "p90": round(p90 / 60, 2)}


def ticket_figures(session: Session, period: Period, conversations: int) -> Dict[str, Any]:
    """Tickets by category and status, handoff rate, agents' waiting and handling times, satisfaction."""
    where = ticket_filter(period)
    by_category = dict(session.execute(
        select(Ticket.category, func.count()).where(where).group_by(Ticket.category)).all())
    by_status = dict(session.execute(
        select(Ticket.status, func.count()).where(where).group_by(Ticket.status)).all())
    handed, live = session.execute(
        select(func.count(distinct(Ticket.conversation_id)),
               func.count(Ticket.queued_at)).where(where)).one()
    waiting, handling = [], []
    for queued, claimed, resolved in session.execute(
            select(Ticket.queued_at, Ticket.claimed_at, Ticket.resolved_at).where(where, Ticket.claimed_at.isnot(None))):
        if queued is not None:
            waiting.append((claimed - queued).total_seconds())
        if resolved is not None:
            handling.append((resolved - claimed).total_seconds())
    scores = dict(session.execute(
        select(Rating.score, func.count()).join(Ticket, Rating.ticket_id == Ticket.id).where(where)
        .group_by(Rating.score)).all())
    rated = sum(scores.values())
    return {
        "tickets": {"total": sum(by_category.values()), "by_category": by_category, "by_status": by_status},
        "handoff": {"conversations": handed, "live": live, "rate": _rate(handed, conversations)},
        "agents": {"waiting": _minutes(waiting), "handling": _minutes(handling)},
        "satisfaction": {
            "count": rated,
            "average": round(sum(score * n for score, n in scores.items()) / rated, 2) if rated else None,
            "distribution": {str(score): scores.get(score, 0) for score in range(1, 6)},
        },
    }


def insights(connection: Connection, session: Session, period: Period, tz: str) -> Dict[str, Any]:
    """Every figure of the analytics page for `period`."""
    figures = conversation_figures(connection, period, tz)
    tickets = ticket_times(session, period)
    figures["guides"] = guide_figures(connection, tickets, period)
    figures.update(ticket_figures(session, period, figures["conversations"]))
    figures["period"] = {"start": period.start.isoformat(), "end": period.end.isoformat(), "channel": period.channel,
                         **period.days(tz)}
    return figures
