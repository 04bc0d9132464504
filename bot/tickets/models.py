"""The tickets: their rows, history, conversation steps, ratings and daily numbers.

Status, priority, queue and history-kind values are the constants below, so
code and migrations agree on them.
"""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship

from bot.agents.models import Agent
from bot.database.schema import Base, Money, UTCDateTime, utcnow

# Ticket status
OPEN = "open"  # recorded; an agent follows up later (outside service hours, nobody free)
QUEUED = "queued"  # waiting in the live queue; the conversation is paused
ASSIGNED = "assigned"  # an agent has claimed it and talks to the user
RESOLVED = "resolved"
CANCELLED = "cancelled"  # the user stopped waiting
STATUSES = (OPEN, QUEUED, ASSIGNED, RESOLVED, CANCELLED)
ACTIVE_STATUSES = (OPEN, QUEUED, ASSIGNED)

HIGH = "high"
NORMAL = "normal"
PRIORITIES = (HIGH, NORMAL)

GENERAL_QUEUE = "general"
SENIOR_QUEUE = "senior"
QUEUES = (GENERAL_QUEUE, SENIOR_QUEUE)

# Kinds of ticket history entries
CREATED = "created"
STATUS_CHANGED = "status"
ASSIGNED_TO = "assigned"
TRANSFERRED = "transferred"
NOTE = "note"
RATED = "rated"
#: A message to the user that the channel refused (body: channel and reason code).
UNDELIVERED = "undelivered"


class Ticket(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    #: What a person reads out on the phone: OK-YYYYMMDD-NNNN.
    number = Column(String(32), nullable=False, unique=True)
    #: Rasa's sender id of the conversation, and the channel it came from.
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False)
    category = Column(String(64), nullable=False)
    priority = Column(String(16), nullable=False, default=NORMAL)
    status = Column(String(16), nullable=False, default=OPEN)
    queue = Column(String(16), nullable=False, default=GENERAL_QUEUE)
    contact_phone = Column(String(32))
    contact_email = Column(String(255))
    #: The time of the transaction as the user said it ("昨天晚上8点").
    txn_time = Column(String(64))
    amount = Column(Money)
    description = Column(Text)
    #: Guide steps the user already went through, as "<guide>:<step id>".
    steps_tried = Column(JSON, nullable=False, default=list)
    handoff_reason = Column(String(32))
    #: The user message that opened it (conversation id and Rasa's message id):
    #: a turn processed again after a database failure finds this ticket instead
    #: of opening a second one.
    request_key = Column(String(160), unique=True, index=True)
    assigned_agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
    queued_at = Column(UTCDateTime)
    claimed_at = Column(UTCDateTime)
    resolved_at = Column(UTCDateTime)

    assigned_agent = relationship(Agent)
    history = relationship("TicketEvent", order_by="TicketEvent.id", back_populates="ticket")
    rating = relationship("Rating", uselist=False, back_populates="ticket")

    __table_args__ = (
        CheckConstraint("status IN ('open', 'queued', 'assigned', 'resolved', 'cancelled')", name="status"),
        CheckConstraint(f"priority IN ('{HIGH}', '{NORMAL}')", name="priority"),
        CheckConstraint(f"queue IN ('{GENERAL_QUEUE}', '{SENIOR_QUEUE}')", name="queue"),
    )


class TicketEvent(Base):
    """One line of a ticket's history: created, status change, assignment, note…"""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16))
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    body = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship(Ticket, back_populates="history")
    agent = relationship(Agent)


class HandoffStep(Base):
    """What a ticket change still has to do in the conversation (`bot.handoff`): introduce the agent, …

    Written in the same transaction as the ticket change it belongs to, and marked done once Rasa has carried
    it out, so a change whose conversation side failed half-way is finished later, not lost.
    """

    __tablename__ = "handoff_steps"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(24), nullable=False)
    payload = Column(JSON, nullable=False, default=dict)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    done_at = Column(UTCDateTime, index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(String(200))

    ticket = relationship(Ticket)


class Rating(Base):
    __tablename__ = "ratings"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, unique=True)
    score = Column(Integer, nullable=False)
    comment = Column(Text)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    ticket = relationship(Ticket, back_populates="rating")

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)


class TicketCounter(Base):
    """The last ticket number given out on a day (in the service time zone)."""

    __tablename__ = "ticket_counters"

    day = Column(String(8), primary_key=True)
    last_number = Column(Integer, nullable=False, default=0)


# Review queue: why a user message was collected, and what a reviewer decided.
