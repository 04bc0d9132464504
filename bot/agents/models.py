"""The agents who work tickets in the console, and their sign-ins."""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from bot.database.schema import Base, UTCDateTime, utcnow

AGENT = "agent"
SUPERVISOR = "supervisor"
ROLES = (AGENT, SUPERVISOR)

ONLINE = "online"
AWAY = "away"


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


