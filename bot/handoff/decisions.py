"""Whether a new ticket goes to a live agent now, and what to tell the user.

Live handoff needs service hours, an agent online for the ticket's queue and
room in the queue; otherwise the ticket is recorded for a later reply.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.database.schema import utcnow
from bot.settings import Settings
from bot.tickets import store
from bot.tickets.models import Ticket
from bot.tickets.service_hours import ServiceHours

LIVE = "live"  # queued for an agent; the conversation is paused
CLOSED = "closed"  # outside service hours
BUSY = "busy"  # in service hours, but nobody online or the queue is full
LIMITED = "limited"  # no ticket opened: the conversation or its client opened too many lately


@dataclass(frozen=True)
class HandoffDecision:
    outcome: str
    position: int = 0
    wait_minutes: int = 0
    next_opening: datetime | None = None


def estimated_wait_minutes(position: int, agents: int, minutes_per_conversation: float) -> int:
    """Rounds of conversations ahead of the user, times the minutes one takes (at least 1)."""
    rounds = math.ceil(position / max(agents, 1))
    return max(1, round(rounds * minutes_per_conversation))


def queue_wait_minutes(session: Session, position: int, agents: int, settings: Settings) -> int:
    """The wait at `position`, with the measured minutes per conversation once there are enough."""
    minutes = store.measured_handling_minutes(session) or settings.average_handling_minutes
    return estimated_wait_minutes(position, agents, minutes)


def hand_off(session: Session, ticket: Ticket, settings: Settings, now: datetime | None = None) -> HandoffDecision:
    """Queues `ticket` when an agent can take it soon; otherwise leaves it open."""
    now = now or utcnow()
    hours = ServiceHours.from_settings(settings)
    if not hours.is_open(now):
        return HandoffDecision(CLOSED, next_opening=hours.next_opening(now))
    serving = store.online_agents(session, settings.presence_timeout_s, ticket.queue, now)
    waiting = store.waiting_count(session, ticket.queue)
    if not serving or waiting >= settings.queue_limit:
        return HandoffDecision(BUSY)
    position = store.enqueue(session, ticket, now)
    return HandoffDecision(LIVE, position, queue_wait_minutes(session, position, len(serving), settings))
