"""Factories for ticket-store objects in tests."""
from __future__ import annotations

from datetime import datetime
from itertools import count

from sqlalchemy.orm import Session

from bot.agents.models import AGENT, Agent
from bot.console.agents import create_agent
from bot.tickets import store
from bot.tickets.models import Ticket

_serial = count(1)
TZ = "Asia/Shanghai"
PASSWORD = "correct-horse-9"


def make_agent(session: Session, username: str | None = None, role: str = AGENT, senior: bool = False,
               name: str | None = None) -> Agent:
    n = next(_serial)
    username = username or f"agent{n}"
    return create_agent(session, username, name or f"客服{n}", f"KF{1000 + n}", PASSWORD, role, senior)


def make_ticket(session: Session, conversation_id: str = "user-1", queued: bool = False,
                now: datetime | None = None, **fields) -> Ticket:
    draft = store.TicketDraft(conversation_id=conversation_id, channel=fields.pop("channel", "callback"),
                              category=fields.pop("category", "payment_failed"), **fields)
    ticket = store.open_ticket(session, draft, TZ, now)
    if queued:
        store.enqueue(session, ticket, now)
    return ticket
