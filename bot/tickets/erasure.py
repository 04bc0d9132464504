"""What a ticket keeps when its user's personal data goes (a deletion request, or retention).

A ticket stays a row, so the anonymous figures stay true: how many tickets,
of which category, channel, priority and status, how long they waited and
were handled, by which agent, and the rating's score. What identifies or
describes the user goes: the conversation id (replaced by a pseudonym that
links the tickets of one conversation and nothing else, so "conversations
handed over" still counts them once), the phone number and e-mail, the
description, the transaction's time and amount, the request key (it holds the
conversation id), the rating's comment, the agents' notes (written about the
user), and the pending conversation steps (`HandoffStep`: they would act on a
conversation that no longer exists). A ticket still being handled is
cancelled: nobody can follow it up any more.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, List

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.database.schema import utcnow
from bot.tickets.models import (
    ACTIVE_STATUSES,
    CANCELLED,
    NOTE,
    STATUS_CHANGED,
    HandoffStep,
    Rating,
    Ticket,
    TicketEvent,
)

#: Conversation ids of erased tickets start with this; nothing a channel hands out does.
ERASED_PREFIX = "erased:"


def pseudonym() -> str:
    """A new conversation id for the erased tickets of one conversation: random, so it leads nowhere."""
    return ERASED_PREFIX + secrets.token_hex(8)


def is_erased(ticket: Ticket) -> bool:
    return ticket.conversation_id.startswith(ERASED_PREFIX)


@dataclass
class Erased:
    """How much was taken out of the ticket store (counts only)."""

    tickets: int = 0
    cancelled: int = 0
    rating_comments: int = 0
    notes: int = 0
    handoff_steps: int = 0

    def add(self, other: Erased) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def erase_tickets(session: Session, tickets: Iterable[Ticket], alias: str, now: datetime | None = None) -> Erased:
    """Takes the personal data out of `tickets` (one conversation's, or expired ones), renaming their
    conversation `alias` (`pseudonym()`)."""
    now = now or utcnow()
    tickets = list(tickets)
    erased = Erased(tickets=len(tickets))
    ids: List[int] = [ticket.id for ticket in tickets]
    if not ids:
        return erased
    for ticket in tickets:
        if ticket.status in ACTIVE_STATUSES:
            session.add(TicketEvent(ticket_id=ticket.id, kind=STATUS_CHANGED, from_status=ticket.status,
                                    to_status=CANCELLED, created_at=now))
            ticket.status, ticket.updated_at = CANCELLED, now
            erased.cancelled += 1
        ticket.conversation_id = alias
        ticket.contact_phone = ticket.contact_email = ticket.description = ticket.txn_time = None
        ticket.amount = ticket.request_key = None
    erased.rating_comments = session.execute(
        update(Rating).where(Rating.ticket_id.in_(ids), Rating.comment.isnot(None)).values(comment=None)
        .execution_options(synchronize_session=False)).rowcount
    erased.notes = session.execute(
        update(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.kind == NOTE,
                                  TicketEvent.body.isnot(None)).values(body=None)
        .execution_options(synchronize_session=False)).rowcount
    erased.handoff_steps = session.execute(
        delete(HandoffStep).where(HandoffStep.ticket_id.in_(ids)).execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    return erased


def conversation_tickets(session: Session, conversation_id: str) -> List[Ticket]:
    return list(session.execute(select(Ticket).where(Ticket.conversation_id == conversation_id)
                                .order_by(Ticket.id)).scalars())
