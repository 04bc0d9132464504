"""SQLAlchemy models of the ticket store.

Times are stored as UTC and always come back timezone-aware (`UTCDateTime`);
money is `Numeric` and comes back as `Decimal`. Status, priority, queue and
role values are the constants below, so code and migrations agree on them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

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

AGENT = "agent"
SUPERVISOR = "supervisor"
ROLES = (AGENT, SUPERVISOR)

CENTS = Decimal("0.01")

ONLINE = "online"
AWAY = "away"

# Kinds of ticket history entries
CREATED = "created"
STATUS_CHANGED = "status"
ASSIGNED_TO = "assigned"
TRANSFERRED = "transferred"
NOTE = "note"
RATED = "rated"
#: A message to the user that the channel refused (body: channel and reason code).
UNDELIVERED = "undelivered"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC and read back as aware UTC.

    SQLite keeps no time zone, PostgreSQL's `timestamp` neither; converting at
    this one boundary keeps every comparison in Python between aware times.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Money(TypeDecorator):
    """A `Decimal` amount with two places: NUMERIC on PostgreSQL, text on SQLite.

    SQLite has no decimal type (NUMERIC columns turn values into floats), so
    there the exact digits are stored as text; Python always sees `Decimal`.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(value).quantize(CENTS)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(CENTS)


Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class Agent(Base):
    __tablename__ = "agents"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    #: The number users may ask for (工号), shown with every reply.
    agent_number = Column(String(16), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default=AGENT)
    #: Senior agents also serve the senior queue.
    senior = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)
    presence = Column(String(16), nullable=False, default=AWAY)
    last_seen_at = Column(UTCDateTime)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (CheckConstraint(f"role IN ('{AGENT}', '{SUPERVISOR}')", name="role"),)

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR


class AgentSession(Base):
    """A console sign-in. Only a hash of the cookie's token is stored."""

    __tablename__ = "agent_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)

    agent = relationship(Agent)


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
LOW_CONFIDENCE = "low_confidence"
FALLBACK = "fallback"
BEFORE_HANDOFF = "before_handoff"
NOT_SOLVED = "not_solved"
REPHRASED = "rephrased"
FLAGGED = "flagged"
REVIEW_REASONS = (LOW_CONFIDENCE, FALLBACK, REPHRASED, BEFORE_HANDOFF, NOT_SOLVED, FLAGGED)
PENDING = "pending"
CORRECTED = "corrected"
DISMISSED = "dismissed"
REVIEW_STATUSES = (PENDING, CORRECTED, DISMISSED)


class ReviewItem(Base):
    """A user message the assistant was unsure about or got wrong, waiting for (or given) a reviewer's intent.

    One row per message (conversation id and Rasa's `message_id`), however
    often it is collected or flagged. `text` is the message as the tracker
    store keeps it (secrets were masked before storage), redacted again when
    the item is made, and `entities` moved to match.
    """

    __tablename__ = "review_items"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False)
    #: Rasa's `message_id` of the user event (or "ts:<timestamp>" when Rasa recorded none).
    message_id = Column(String(255), nullable=False)
    channel = Column(String(16), nullable=False)
    text = Column(Text, nullable=False)
    predicted_intent = Column(String(255))
    confidence = Column(Float)
    #: Entities as the NLU found them: [{entity, value, start, end}, …].
    entities = Column(JSON, nullable=False, default=list)
    #: Why it was collected first (REVIEW_REASONS); an agent's flag on it is `flagged_by`.
    reason = Column(String(16), nullable=False)
    flagged_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    flagged_at = Column(UTCDateTime)
    status = Column(String(16), nullable=False, default=PENDING)
    corrected_intent = Column(String(255))
    corrected_entities = Column(JSON)
    reviewed_by = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"))
    reviewed_at = Column(UTCDateTime)
    #: When the user sent it.
    message_at = Column(UTCDateTime, nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id"),
        CheckConstraint(
            "reason IN ('low_confidence', 'fallback', 'rephrased', 'before_handoff', 'not_solved', 'flagged')",
            name="reason"),
        CheckConstraint("status IN ('pending', 'corrected', 'dismissed')", name="status"),
    )
