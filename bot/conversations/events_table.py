"""Rasa's `events` table (SQL tracker store), read directly for figures and the review queue.

The table is Rasa's own definition (`SQLTrackerStore.SQLEvent`), not a copy.
Rasa writes one row per event: `intent_name` is set for user messages,
`action_name` for actions and (the slot's name) for slot events, so most
figures need no JSON. The tracker store is the SQLite file `tracker_db`
(embedded) or the PostgreSQL database of `tracker_url` (replicated).
"""
from __future__ import annotations

import json
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import and_, not_, or_
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from bot.insights.period import CHANNELS, Period

#: The intent Rasa's FallbackClassifier gives a message it did not understand.
FALLBACK_INTENT = "nlu_fallback"

#: Rasa's tables (`events` only), for creating them in tests and before the servers start.
metadata = SQLTrackerStore.Base.metadata
events = SQLTrackerStore.SQLEvent.__table__


def utter_action(data: str | None) -> str | None:
    """The domain response a bot event's row said (`metadata.utter_action`), if any."""
    try:
        event = json.loads(data or "{}")
    except ValueError:
        return None
    metadata = event.get("metadata") if isinstance(event, dict) else None
    return metadata.get("utter_action") if isinstance(metadata, dict) else None


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


#: Rasa indexes only `sender_id`; every figure and the review queue select by time.
TIMESTAMP_INDEX = "ix_events_timestamp"


def prepare_events_table(url: str) -> None:
    """Creates Rasa's `events` table if missing (its own definition) and the index on `timestamp`.

    Run once before the servers start: replicas starting together would race to
    create the table, and without the index a month's figures scan every event
    ever stored (a year of 10,000 conversations a month: 2 s instead of 0.5 s).
    """
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite:///"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(text(f"CREATE INDEX IF NOT EXISTS {TIMESTAMP_INDEX} ON events (timestamp)"))
    finally:
        engine.dispose()
