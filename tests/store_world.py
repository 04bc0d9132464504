"""Every store of a deployment, filled with a user's whole journey, and read back raw (forget, retention, backup).

`deployment_settings("sqlite", …)` is the embedded layout (SQLite files for
tickets, conversations and the event stream); `"postgresql"` the replicated
one (a PostgreSQL database of its own for tickets and conversations, a
private redis-server for the stream, the locks and the marks).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import redis
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.insights.review_items import FALLBACK, ReviewItem
from bot.runtime.cached_tracker_store import CachedSQLTrackerStore
from bot.settings import Settings
from bot.stream.broker import StreamBroker
from bot.tickets import store
from bot.tickets.models import RESOLVED, HandoffStep, Rating, Ticket
from tests.ticket_factories import make_agent, make_ticket

DOMAIN = Domain.from_dict({"slots": {"contact": {"type": "text", "mappings": [{"type": "custom"}]}}})


@contextlib.contextmanager
def deployment_settings(kind: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings of an embedded (`sqlite`) or replicated (`postgresql`: PostgreSQL and Redis) deployment."""
    if kind == "sqlite":
        yield Settings(tracker_db=tmp_path / "okpay.db", ticket_db=tmp_path / "tickets.db")
        return
    from tests.postgres import postgres_database
    from tests.production.conftest import PrivateRedis

    server = PrivateRedis()
    server.start()
    try:
        with postgres_database("okpay_privacy") as url:
            yield Settings(deployment="replicated", database_url=url, redis_url=server.url)
    finally:
        server.stop()


def settings_in_environment(settings: Settings, monkeypatch: Any, **extra: str) -> None:
    """Sets the environment a command (`python -m …`) reads to `settings`' stores (plus `extra` OKPAY_ names)."""
    for name, value in {"OKPAY_DEPLOYMENT": settings.deployment, "OKPAY_DATABASE_URL": settings.database_url,
                        "OKPAY_REDIS_URL": settings.redis_url, "OKPAY_TRACKER_DB": str(settings.tracker_db),
                        "OKPAY_TICKET_DB": str(settings.ticket_db), **extra}.items():
        monkeypatch.setenv(name, value)


def rows(url: str, query: str, **params: Any) -> List[tuple]:
    """The rows of one SQL `query` on the database at `url`, read raw (as a check of what is stored)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query), params)]
    finally:
        engine.dispose()


def tracker_store(settings: Settings) -> CachedSQLTrackerStore:
    """The tracker store Rasa would use with these settings, with the event broker of endpoints*.yml."""
    broker = StreamBroker(settings.event_stream_url)
    url = make_url(settings.conversations_url)
    if url.get_backend_name() == "sqlite":
        return CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=url.database, event_broker=broker)
    return CachedSQLTrackerStore(DOMAIN, dialect="postgresql", host=url.host, port=url.port, db=url.database,
                                 username=url.username, password=url.password, event_broker=broker)


def say(settings: Settings, conversation: str, texts: List[str], when: datetime | None = None) -> None:
    """A conversation's turns (a message, the contact slot, the answer) stored as Rasa stores them."""
    tracker_store_ = tracker_store(settings)
    stamp = (when or datetime.now(timezone.utc)).timestamp()
    tracker = asyncio.run(tracker_store_.retrieve(conversation)) or DialogueStateTracker(conversation, DOMAIN.slots)
    for index, said in enumerate(texts):
        at = stamp + index
        for event in (UserUttered(said, timestamp=at), SlotSet("contact", said, timestamp=at),
                      BotUttered(f"收到：{said}", timestamp=at), ActionExecuted("action_listen", timestamp=at)):
            tracker.update(event)
    asyncio.run(tracker_store_.save(tracker))
    tracker_store_.engine.dispose()
    tracker_store_.event_broker.stream.close()


def open_tickets(settings: Settings, conversation: str, phone: str, email: str, words: str,
                 when: datetime | None = None) -> List[str]:
    """Two tickets of the conversation: one resolved and rated with a comment and a note, one still queued."""
    upgrade(settings.ticket_database_url)
    database = Database(settings.ticket_database_url)
    with database.session() as session:
        agent = make_agent(session)
        done = make_ticket(session, conversation, channel=conversation.split(":")[0], contact_phone=phone,
                           contact_email=email, description=words, txn_time="昨天晚上8点", now=when,
                           request_key=f"{conversation}:m1")
        store.add_note(session, done, agent, f"用户说：{words}，电话 {phone}", now=when)
        done.status, done.resolved_at = RESOLVED, when or done.created_at
        done.updated_at = when or done.updated_at
        session.add(Rating(ticket=done, score=4, comment=f"谢谢，{words}", created_at=done.created_at))
        session.add(HandoffStep(ticket_id=done.id, kind="hand_back", payload={"number": done.number},
                                created_at=done.created_at))
        waiting = make_ticket(session, conversation, channel=conversation.split(":")[0], queued=True,
                              contact_phone=phone, description=words, now=when)
        session.add(ReviewItem(conversation_id=conversation, message_id="m1", channel=conversation.split(":")[0],
                               text=words, reason=FALLBACK, message_at=when or done.created_at))
        numbers = [done.number, waiting.number]
    database.dispose()
    return numbers


def redis_marks(settings: Settings, conversation: str, words: str) -> None:
    """What the channels keep in Redis for a conversation: rate counters, a WeChat delivery with its reply."""
    client = redis.Redis.from_url(settings.redis_url)
    user = conversation.split(":", 1)[1]
    client.set(f"okpay:rate:msg:{conversation}", 3, ex=60)
    client.set(f"okpay:rate:told:{conversation}", 1, ex=60)
    client.set(f"okpay:seen:wechat:{user}:2403", f"D<xml><Content>收到：{words}</Content></xml>", ex=900)
    client.set(f"okpay:seen:tried:wechat:{user}:2403", 1, ex=900)
    client.close()


def _readable(value: Any) -> str:
    """A stored value as text, JSON decoded too (Rasa stores Chinese as \\u escapes)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    shown = str(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            shown += json.dumps(json.loads(value), ensure_ascii=False)
    return shown


def database_text(url: str) -> str:
    """Every row of every table of the database, as text."""
    engine = create_engine(url, future=True)
    parts = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(_readable(value) for value in row)
    engine.dispose()
    return "\n".join(parts)


def redis_text(url: str) -> str:
    """Every key of the Redis database and its value (strings, stream entries), as text."""
    client = redis.Redis.from_url(url)
    parts = []
    for key in client.scan_iter(count=1000):
        parts.append(_readable(key))
        kind = client.type(key)
        if kind == b"string":
            parts.append(_readable(client.get(key)))
        elif kind == b"stream":
            parts.extend(_readable(fields[b"body"]) for _, fields in client.xrange(key))
        elif kind == b"hash":
            parts.extend(_readable(value) for value in client.hgetall(key).values())
    client.close()
    return "\n".join(parts)


def everything_stored(settings: Settings) -> str:
    """The raw content of every store of the deployment."""
    parts = [database_text(settings.ticket_database_url)]
    if settings.conversations_url != settings.ticket_database_url:
        parts.append(database_text(settings.conversations_url))
    stream = settings.event_stream_url
    parts.append(database_text(stream) if stream.startswith("sqlite") else redis_text(stream))
    return "\n".join(parts)


def anonymous_counts(settings: Settings) -> Dict[str, Any]:
    """What the figures count: tickets by category and status, conversations handed over, rating scores."""
    engine = create_engine(settings.ticket_database_url, future=True)
    with engine.connect() as connection:
        counts = {
            "tickets": connection.execute(text("SELECT count(*) FROM tickets")).scalar(),
            "by_category": sorted(connection.execute(text(
                "SELECT category, count(*) FROM tickets GROUP BY category")).all()),
            "handed_over": connection.execute(text("SELECT count(DISTINCT conversation_id) FROM tickets")).scalar(),
            "scores": sorted(connection.execute(text("SELECT score, count(*) FROM ratings GROUP BY score")).all()),
        }
    engine.dispose()
    return counts


def days_ago(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def tickets_of(settings: Settings, conversation: str) -> List[Ticket]:
    database = Database(settings.ticket_database_url)
    with database.session() as session:
        tickets = list(session.query(Ticket).filter(Ticket.conversation_id == conversation))
    database.dispose()
    return tickets
