"""The ticket side of queueing and of cancelling a wait (run inside the action server's custom actions).

The handoffs requested, the tickets opened and the waits cancelled are
counted here (`bot.observability.metrics`), once their transaction commits:
work that `Database.run` rolls back and runs again counts once.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.content.ticket_rules import load_ticket_rules
from bot.database.schema import utcnow
from bot.handoff.decisions import BUSY, LIMITED, LIVE, HandoffDecision, hand_off, queue_wait_minutes
from bot.observability import metrics
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.tickets import store
from bot.tickets.models import QUEUED, Ticket


@lru_cache(maxsize=4)
def _ticket_limiter(redis_url: str) -> RateLimiter:
    """One limiter per Redis URL for the process (created on first use, never at import)."""
    return RateLimiter(redis_url, prefix="okpay:rate:")


def over_ticket_limit(session: Session, draft: store.TicketDraft, client: str | None, settings: Settings) -> bool:
    """A new ticket would be one too many: for the conversation in the last hour, or for its client address."""
    hour_ago = utcnow() - timedelta(hours=1)
    if store.tickets_opened_since(session, draft.conversation_id, hour_ago) >= settings.rate_tickets_per_hour > 0:
        return True
    if not client:
        return False
    limiter = _ticket_limiter(settings.redis_url)
    return not limiter.allow_sync(f"tickets:{client}", settings.rate_tickets_per_hour_per_address, 3600)


def open_and_hand_off(session: Session, draft: store.TicketDraft, settings: Settings, client: str | None = None
                      ) -> tuple[Ticket | None, HandoffDecision]:
    """Opens the ticket and decides the handoff; once per user message.

    The same message processed again (Rasa retries a turn whose tracker could
    not be saved) gets the ticket it opened the first time, and the decision
    its state says, instead of a second ticket.
    """
    existing = store.ticket_for_request(session, draft.request_key) if draft.request_key else None
    if existing is None:
        if over_ticket_limit(session, draft, client, settings):
            _when_committed(session, lambda: metrics.HANDOFFS_REQUESTED.labels(LIMITED).inc())
            return None, HandoffDecision(LIMITED)
        ticket = store.open_ticket(session, draft, settings.service_timezone)
        decision = hand_off(session, ticket, settings)
        category = metrics.bounded(draft.category, load_ticket_rules().categories)

        def count() -> None:
            metrics.TICKETS_OPENED.labels(category).inc()
            metrics.HANDOFFS_REQUESTED.labels(decision.outcome).inc()

        _when_committed(session, count)
        return ticket, decision
    if existing.status == QUEUED:
        position = store.queue_position(session, existing)
        agents = len(store.online_agents(session, settings.presence_timeout_s, existing.queue)) or 1
        return existing, HandoffDecision(LIVE, position, queue_wait_minutes(session, position, agents, settings))
    return existing, HandoffDecision(BUSY)


def cancel_waiting(session: Session, conversation_id: str) -> tuple[str | None, bool]:
    """The user stopped waiting: the number of the ticket cancelled (None if none waited), and whether an agent
    has the conversation (then nothing is cancelled: the agent reads the message)."""
    ticket = store.cancel_waiting(session, conversation_id)
    if ticket is not None:
        _when_committed(session, metrics.HANDOFFS_CANCELLED.inc)
        return ticket.number, False
    return None, store.active_ticket(session, conversation_id) is not None


def _when_committed(session: Session, count: Callable[[], None]) -> None:
    """Runs `count` once `session`'s transaction commits (never, when it is rolled back)."""
    event.listen(session, "after_commit", lambda _session: count(), once=True)
