"""What can happen to a ticket, as functions over a SQLAlchemy session.

The action server and the console call these inside `Database.session()`;
each function checks the state it needs (a claim only of a waiting ticket, a
note only by an agent …) and raises a `TicketError` with a code the console
turns into a clear answer. Claims are one conditional UPDATE, so two agents
racing for one conversation cannot both win.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Dict, List, Sequence

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from bot.agents.models import ONLINE, Agent
from bot.database.schema import utcnow
from bot.tickets.models import (
    ASSIGNED,
    ASSIGNED_TO,
    CANCELLED,
    CREATED,
    GENERAL_QUEUE,
    HIGH,
    NORMAL,
    NOTE,
    OPEN,
    QUEUED,
    RATED,
    RESOLVED,
    SENIOR_QUEUE,
    STATUS_CHANGED,
    TRANSFERRED,
    UNDELIVERED,
    Rating,
    Ticket,
    TicketEvent,
)
from bot.tickets.numbers import next_number


class TicketError(Exception):
    """A request the store refuses; `code` names the reason for the console."""

    code = "ticket_error"


class TicketNotFound(TicketError):
    code = "not_found"


class UnknownAgent(TicketNotFound):
    code = "unknown_agent"


class AlreadyClaimed(TicketError):
    code = "already_claimed"


class NotAllowed(TicketError):
    code = "not_allowed"


class AtCapacity(TicketError):
    code = "at_capacity"


class InvalidChange(TicketError):
    code = "invalid_change"


@dataclass
class TicketDraft:
    """What the assistant collected for a ticket."""

    conversation_id: str
    channel: str
    category: str
    priority: str = NORMAL
    queue: str = GENERAL_QUEUE
    contact_phone: str | None = None
    contact_email: str | None = None
    txn_time: str | None = None
    amount: Decimal | None = None
    description: str | None = None
    steps_tried: List[str] = field(default_factory=list)
    handoff_reason: str | None = None
    request_key: str | None = None


#: Longest `Ticket.request_key` (the column's size).
REQUEST_KEY_CHARS = 160


#: The metadata key under which channels keep a message's request id (bot.runtime.message_guard.REQUEST_ID):
#: the balancer's `X-Request-Id`, or a WeChat or Telegram delivery key, the same when the message is re-sent.
REQUEST_ID_KEY = "request_id"


def request_key(conversation_id: str, message_id: str) -> str:
    """The `request_key` of a ticket opened by Rasa's user message `message_id` of the conversation."""
    return f"{conversation_id}:{message_id}"[:REQUEST_KEY_CHARS]


def message_request_key(conversation_id: str, message_id: str | None, metadata: Dict[str, Any] | None
                        ) -> str | None:
    """The `request_key` of a ticket opened by a user message (a user event or Rasa's `latest_message`).

    Its request id when it has one: a message re-sent to another replica gets a new Rasa message id
    (chosen by each process) but keeps the request id, so it finds the ticket it opened the first
    time instead of opening a second. Rasa's message id otherwise; None when there is neither.
    """
    request_id = (metadata or {}).get(REQUEST_ID_KEY)
    if isinstance(request_id, str) and request_id:
        return request_key(conversation_id, f"req:{request_id}")
    return request_key(conversation_id, str(message_id)) if message_id else None


def _record(session: Session, ticket: Ticket, kind: str, now: datetime, **values: object) -> None:
    session.add(TicketEvent(ticket=ticket, kind=kind, created_at=now, **values))


def _set_status(session: Session, ticket: Ticket, status: str, now: datetime, agent: Agent | None = None) -> None:
    _record(
        session, ticket, STATUS_CHANGED, now,
        from_status=ticket.status, to_status=status, agent_id=agent.id if agent else None,
    )
    ticket.status = status
    ticket.updated_at = now


def tickets_opened_since(session: Session, conversation_id: str, since: datetime) -> int:
    """How many tickets the conversation opened since `since` (the rate limit on tickets)."""
    return session.execute(
        select(func.count(Ticket.id)).where(Ticket.conversation_id == conversation_id, Ticket.created_at >= since)
    ).scalar_one()


def open_ticket(session: Session, draft: TicketDraft, timezone: str, now: datetime | None = None) -> Ticket:
    """Inserts a ticket with the next number of the day. Starts the transaction.

    A draft whose `request_key` already opened a ticket gets that ticket back
    (see `ticket_for_request`); check with `ticket_for_request` first to tell.
    """
    now = now or utcnow()
    if draft.request_key:
        existing = ticket_for_request(session, draft.request_key)
        if existing is not None:
            return existing
    number = next_number(session, now, timezone)
    ticket = Ticket(
        number=number,
        conversation_id=draft.conversation_id,
        channel=draft.channel,
        category=draft.category,
        priority=draft.priority,
        queue=draft.queue,
        status=OPEN,
        contact_phone=draft.contact_phone,
        contact_email=draft.contact_email,
        txn_time=draft.txn_time,
        amount=draft.amount,
        description=draft.description,
        steps_tried=list(draft.steps_tried),
        handoff_reason=draft.handoff_reason,
        request_key=draft.request_key,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    _record(session, ticket, CREATED, now, to_status=OPEN)
    session.flush()
    return ticket


def ticket_for_request(session: Session, request_key: str) -> Ticket | None:
    """The ticket a user message already opened, if any."""
    return session.execute(select(Ticket).where(Ticket.request_key == request_key)).scalar_one_or_none()


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}")
    return ticket


def ticket_by_number(session: Session, number: str) -> Ticket:
    ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one_or_none()
    if ticket is None:
        raise TicketNotFound(f"no ticket {number}")
    return ticket


def ticket_for_user(session: Session, number: str, conversation_id: str) -> Ticket | None:
    """The ticket `number` if it belongs to this conversation, else None (never says which)."""
    return session.execute(
        select(Ticket).where(Ticket.number == number, Ticket.conversation_id == conversation_id)
    ).scalar_one_or_none()


def tickets_for_user(session: Session, conversation_id: str, limit: int = 3) -> List[Ticket]:
    return list(
        session.execute(
            select(Ticket).where(Ticket.conversation_id == conversation_id)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
        ).scalars()
    )


def conversation_tickets(session: Session, conversation_id: str) -> List[Ticket]:
    """Every ticket of the conversation, oldest first."""
    return list(session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.created_at, Ticket.id)
    ).scalars())


def active_ticket(session: Session, conversation_id: str) -> Ticket | None:
    """The conversation's ticket that is waiting or being handled, if any."""
    return session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status.in_((QUEUED, ASSIGNED)))
        .order_by(Ticket.id.desc()).limit(1)
    ).scalar_one_or_none()


_PRIORITY_ORDER = case((Ticket.priority == HIGH, 0), else_=1)


def waiting(session: Session, queues: Sequence[str] = (GENERAL_QUEUE, SENIOR_QUEUE)) -> List[Ticket]:
    """Tickets waiting for an agent: high priority first, then longest waiting."""
    return list(
        session.execute(
            select(Ticket).where(Ticket.status == QUEUED, Ticket.queue.in_(tuple(queues)))
            .order_by(_PRIORITY_ORDER, Ticket.queued_at, Ticket.id)
        ).scalars()
    )


def enqueue(session: Session, ticket: Ticket, now: datetime | None = None) -> int:
    """Puts the ticket in the live queue; returns its position (1 = next)."""
    now = now or utcnow()
    ticket.queued_at = now
    _set_status(session, ticket, QUEUED, now)
    session.flush()
    return queue_position(session, ticket)


def queue_position(session: Session, ticket: Ticket) -> int:
    """1 for the next in line; 0 when the ticket is not waiting. Counted in SQL, not loaded."""
    if ticket.status != QUEUED:
        return 0
    rank = 0 if ticket.priority == HIGH else 1
    earlier = or_(
        Ticket.queued_at < ticket.queued_at,
        and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id),
    )
    ahead = session.execute(
        select(func.count()).select_from(Ticket).where(
            Ticket.status == QUEUED,
            Ticket.queue == ticket.queue,
            or_(_PRIORITY_ORDER < rank, and_(_PRIORITY_ORDER == rank, earlier)),
        )
    ).scalar_one()
    return ahead + 1


def waiting_count(session: Session, queue: str) -> int:
    return session.execute(
        select(func.count()).select_from(Ticket).where(Ticket.status == QUEUED, Ticket.queue == queue)
    ).scalar_one()


def _load_for_agent(session: Session, agent: Agent) -> int:
    return session.execute(
        select(func.count()).select_from(Ticket)
        .where(Ticket.assigned_agent_id == agent.id, Ticket.status == ASSIGNED)
    ).scalar_one()


def claim(session: Session, ticket_id: int, agent: Agent, capacity: int, now: datetime | None = None) -> Ticket:
    """Gives a waiting ticket to `agent`. Exactly one of two racing agents wins."""
    now = now or utcnow()
    ticket = get_ticket(session, ticket_id)
    if not serves(agent, ticket.queue):
        raise NotAllowed("the senior queue is served by senior agents")
    if _load_for_agent(session, agent) >= capacity:
        raise AtCapacity(f"{agent.username} already handles {capacity} conversations")
    result = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == QUEUED)
        .values(status=ASSIGNED, assigned_agent_id=agent.id, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyClaimed(f"ticket {ticket.number} is no longer waiting")
    _record(session, ticket, STATUS_CHANGED, now, from_status=QUEUED, to_status=ASSIGNED, agent_id=agent.id)
    _record(session, ticket, ASSIGNED_TO, now, agent_id=agent.id, body=agent.username)
    session.flush()
    session.refresh(ticket)
    return ticket


# Who may do what (the console's roles: AGENT, SUPERVISOR)
#
# - Every agent serves the general queue; the senior queue only senior agents
#   and supervisors (`serves`): they see its waiting tickets and may claim them.
# - An agent may read a ticket (its fields, internal notes, history and
#   transcript) and write notes on it when it waits in a queue they serve, when
#   they handle it or handled it before (claimed or were transferred it, also
#   once resolved or passed on), or when no agent ever had it (recorded for a
#   later reply, cancelled before a claim); never another agent's conversation
#   (`may_access`). A supervisor may on all.
# - Only the agent handling a conversation, or a supervisor, may reply to it,
#   transfer it or resolve it (`require_handler`); tickets recorded for a later
#   reply are resolved by any agent who may read them.
# - Each console route declares the least a caller needs (bot/console/access.py):
#   signed in, serving the ticket's queue, `may_access` on the ticket, supervisor.


def serves(agent: Agent, queue: str) -> bool:
    """Whether `agent` takes conversations from `queue`."""
    return queue != SENIOR_QUEUE or agent.senior or agent.is_supervisor


def handled_by(ticket: Ticket, agent: Agent) -> bool:
    """Whether `agent` handles the ticket's conversation or did before (a claim or a transfer to them)."""
    return ticket.assigned_agent_id == agent.id or any(
        event.kind == ASSIGNED_TO and event.agent_id == agent.id for event in ticket.history)


def may_access(ticket: Ticket, agent: Agent) -> bool:
    """Whether `agent` may read the ticket and its conversation and note on it (see the rules above)."""
    if agent.is_supervisor or handled_by(ticket, agent):
        return True
    if ticket.status == QUEUED:  # waiting (again, after a transfer to the queue): for whoever may claim it
        return serves(agent, ticket.queue)
    # Otherwise only if no agent ever had it: never another agent's conversation, now or resolved.
    return ticket.assigned_agent_id is None and not any(event.kind == ASSIGNED_TO for event in ticket.history)


def require_access(ticket: Ticket, agent: Agent) -> None:
    if not may_access(ticket, agent):
        raise NotAllowed(f"ticket {ticket.number} is not {agent.username}'s to read")


def require_handler(ticket: Ticket, agent: Agent) -> None:
    """Only the agent handling a conversation (or a supervisor) may act on it."""
    if ticket.status != ASSIGNED:
        raise InvalidChange(f"ticket {ticket.number} is {ticket.status}, not being handled")
    if ticket.assigned_agent_id != agent.id and not agent.is_supervisor:
        raise NotAllowed(f"ticket {ticket.number} is handled by another agent")


def add_note(session: Session, ticket: Ticket, agent: Agent, body: str, now: datetime | None = None) -> TicketEvent:
    """An internal note: in the ticket's history, never shown to the user."""
    require_access(ticket, agent)
    now = now or utcnow()
    event = TicketEvent(ticket=ticket, kind=NOTE, agent_id=agent.id, body=body, created_at=now)
    session.add(event)
    ticket.updated_at = now
    session.flush()
    return event


def record_undelivered(
    session: Session, conversation_id: str, channel: str, reason: str, now: datetime | None = None
) -> Ticket | None:
    """Notes on the user's latest ticket that `channel` refused a message to them.

    For example WeChat's 48-hour window: the agent sees it on the ticket and
    contacts the user another way (the ticket's contact). None if the user
    has no ticket.
    """
    ticket = session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id.desc()).limit(1)
    ).scalar_one_or_none()
    if ticket is None:
        return None
    now = now or utcnow()
    _record(session, ticket, UNDELIVERED, now, body=f"{channel}:{reason}")
    ticket.updated_at = now
    session.flush()
    return ticket


def transfer(
    session: Session,
    ticket: Ticket,
    agent: Agent,
    to_agent: Agent | None = None,
    to_queue: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Hands a conversation to another agent, or back to a queue (the senior one)."""
    now = now or utcnow()
    require_handler(ticket, agent)
    if to_agent is not None:
        if not to_agent.active:
            raise InvalidChange(f"{to_agent.username} is not an active agent")
        if to_agent.id == ticket.assigned_agent_id:
            raise InvalidChange("the conversation is already with that agent")
        _record(session, ticket, TRANSFERRED, now, agent_id=agent.id, body=f"agent:{to_agent.username}")
        _record(session, ticket, ASSIGNED_TO, now, agent_id=to_agent.id, body=to_agent.username)
        ticket.assigned_agent_id = to_agent.id
        ticket.claimed_at = now
        ticket.updated_at = now
    elif to_queue in (GENERAL_QUEUE, SENIOR_QUEUE):
        _record(session, ticket, TRANSFERRED, now, agent_id=agent.id, body=f"queue:{to_queue}")
        ticket.queue = to_queue
        ticket.assigned_agent_id = None
        ticket.queued_at = now
        _set_status(session, ticket, QUEUED, now, agent)
    else:
        raise InvalidChange("a transfer needs another agent or a queue")
    session.flush()
    return ticket


def resolve(session: Session, ticket: Ticket, agent: Agent, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    if ticket.status == OPEN:
        # Offline tickets (recorded outside service hours) are closed without a chat.
        pass
    else:
        require_handler(ticket, agent)
    ticket.resolved_at = now
    _set_status(session, ticket, RESOLVED, now, agent)
    session.flush()
    return ticket


def cancel_waiting(session: Session, conversation_id: str, now: datetime | None = None) -> Ticket | None:
    """The user stopped waiting: their queued ticket is cancelled. None if none waits."""
    now = now or utcnow()
    ticket = session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.status == QUEUED)
        .order_by(Ticket.id.desc()).limit(1)
    ).scalar_one_or_none()
    if ticket is None:
        return None
    _set_status(session, ticket, CANCELLED, now)
    session.flush()
    return ticket


def rate(
    session: Session, number: str, conversation_id: str, score: int, comment: str | None,
    now: datetime | None = None,
) -> Rating:
    """Stores the user's 1–5 rating of a resolved ticket of theirs (once)."""
    now = now or utcnow()
    if not 1 <= score <= 5:
        raise InvalidChange("a rating is 1 to 5")
    ticket = ticket_for_user(session, number, conversation_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket {number} in this conversation")
    if ticket.rating is not None:
        raise InvalidChange(f"ticket {number} is rated already")
    rating = Rating(ticket=ticket, score=score, comment=comment or None, created_at=now)
    session.add(rating)
    _record(session, ticket, RATED, now, body=str(score))
    session.flush()
    return rating


def online_agents(
    session: Session, presence_timeout_s: int, queue: str = GENERAL_QUEUE, now: datetime | None = None
) -> List[Agent]:
    """Agents whose console is open (seen recently, marked online) and who serve `queue`."""
    now = now or utcnow()
    since = now - timedelta(seconds=presence_timeout_s)
    agents = session.execute(
        select(Agent).where(Agent.active.is_(True), Agent.presence == ONLINE, Agent.last_seen_at >= since)
    ).scalars()
    return [agent for agent in agents if serves(agent, queue)]


def available_agents(
    session: Session, presence_timeout_s: int, capacity: int, queue: str = GENERAL_QUEUE,
    now: datetime | None = None,
) -> List[Agent]:
    """Online agents of `queue` with room for one more conversation."""
    return [
        agent for agent in online_agents(session, presence_timeout_s, queue, now)
        if _load_for_agent(session, agent) < capacity
    ]


def measured_handling_minutes(session: Session, sample: int = 50, minimum: int = 5) -> float | None:
    """Median minutes from claim to resolution of the latest handled tickets."""
    rows = session.execute(
        select(Ticket.claimed_at, Ticket.resolved_at)
        .where(Ticket.status == RESOLVED, Ticket.claimed_at.isnot(None), Ticket.resolved_at.isnot(None))
        .order_by(Ticket.resolved_at.desc()).limit(sample)
    ).all()
    if len(rows) < minimum:
        return None
    return statistics.median((resolved - claimed).total_seconds() / 60 for claimed, resolved in rows)

