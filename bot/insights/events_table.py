"""Rasa's `events` table (SQL tracker store), read directly for figures and the review queue.

Rasa writes one row per event with the columns below; `intent_name` is set
for user messages, `action_name` for actions and (the slot's name) for slot
events, so most figures need no JSON. The tracker store is the SQLite file
`tracker_db` (embedded) or the PostgreSQL database of `tracker_url` (replicated).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, and_, not_, or_
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from bot.insights.period import CHANNELS, Period

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def conversations_url(settings: Any) -> str:
    """Where the conversations are stored for these settings."""
    if settings.replicated:
        return settings.tracker_url
    return f"sqlite:///{settings.resolve(settings.tracker_db)}"


def read_engine(url: str) -> Engine:
    """An engine for reading (creating nothing). SQLite files are opened read-only."""
    from sqlalchemy import create_engine

    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = url.split("///", 1)[1]
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", future=True)
    return create_engine(url, future=True, pool_pre_ping=True)


def channel_filter(channel: str | None) -> ColumnElement:
    """Rows of one channel's conversations (all when None), by the conversation id's prefix."""
    if channel is None:
        return and_(True)
    named = [c for c in CHANNELS if c != "rest"]
    if channel == "rest":
        return not_(or_(*[events.c.sender_id.like(f"{c}:%") for c in named]))
    return events.c.sender_id.like(f"{channel}:%")


def in_period(period: Period) -> ColumnElement:
    """Events of the period and channel."""
    return and_(events.c.timestamp >= period.start_ts, events.c.timestamp < period.end_ts,
                channel_filter(period.channel))
