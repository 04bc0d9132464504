"""Console sign-ins: random tokens in a cookie, only their SHA-256 in the database."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.agents.models import ONLINE, Agent, AgentSession
from bot.console.passwords import dummy_hash, verify_password
from bot.database.schema import utcnow

COOKIE = "okpay_console"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, username: str, password: str) -> Agent | None:
    """The active agent whose password this is, else None.

    The password is verified whether or not the username exists (against
    `dummy_hash` when it does not) or the account is active: every sign-in
    costs one Argon2 verification, so its time does not tell which usernames exist.
    """
    agent = session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()
    valid = verify_password(agent.password_hash if agent is not None else dummy_hash(), password)
    return agent if agent is not None and agent.active and valid else None


def start_session(session: Session, agent: Agent, hours: float, now: datetime | None = None) -> str:
    """Signs `agent` in; returns the token for the cookie. The agent goes online."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(AgentSession(token_hash=_digest(token), agent_id=agent.id, created_at=now,
                             expires_at=now + timedelta(hours=hours)))
    session.execute(delete(AgentSession).where(AgentSession.agent_id == agent.id, AgentSession.expires_at < now))
    agent.presence, agent.last_seen_at = ONLINE, now
    return token


def agent_for_token(session: Session, token: str | None, now: datetime | None = None) -> Agent | None:
    """The signed-in agent of a cookie token; None when unknown, expired or deactivated."""
    if not token:
        return None
    now = now or utcnow()
    row = session.execute(
        select(AgentSession).where(AgentSession.token_hash == _digest(token))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= now or not row.agent.active:
        return None
    return row.agent


def end_session(session: Session, token: str) -> None:
    session.execute(delete(AgentSession).where(AgentSession.token_hash == _digest(token)))
