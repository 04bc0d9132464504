"""Every place a user's conversation is kept, and how to take one out (`forget`) or the old ones (`retention`).

| store | what of a user it holds | where |
|---|---|---|
| tracker store | every message, answer, slot (the conversation) | Rasa's `events` table: `settings.conversations_url` |
| event stream | the same events, as live news for the console | `settings.event_stream_url` (SQLite table or Redis stream) |
| ticket store | tickets' contacts, description, notes, rating comments | `bot.tickets.erasure` |
| review queue | user messages the bot was unsure about | `review_items`, in the ticket store |
| Redis | rate counters, delivery marks named by the conversation (WeChat's hold the reply) | `settings.redis_url` |

Nothing else keeps a user's words: the widget's history is read from the
tracker store; conversation locks hold only the conversation id (and free
themselves); the Rasa processes' kept trackers notice deleted rows
(`bot.runtime.cached_tracker_store`). Logs hold ids and lengths, never text,
and are rotated by the operator, not by these commands.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Any, Callable, ContextManager, Iterable, Iterator, List

from sqlalchemy import delete, select

from bot.conversations.events_table import events
from bot.database.database import Database, make_engine
from bot.database.sqlite import sqlite_missing
from bot.insights.review_items import ReviewItem
from bot.settings import Settings
from bot.stream.backends import open_stream

logger = logging.getLogger(__name__)

#: The Redis key prefixes under which channels keep marks named by the conversation (bot/channels, bot/ratelimit).
REDIS_PREFIXES = ("okpay:rate:", "okpay:seen:", "okpay:delivery:")


def tracker_engine(settings: Settings) -> Any:
    """An engine on the tracker store's database (BEGIN IMMEDIATE on SQLite: writers queue, never deadlock)."""
    return make_engine(settings.conversations_url)


def conversations_stored(settings: Settings, candidates: Iterable[str]) -> List[str]:
    """Those of `candidates` that the tracker store or the ticket store knows."""
    from bot.tickets.models import Ticket

    candidates, found = list(candidates), set()
    if not sqlite_missing(settings.conversations_url):
        engine = tracker_engine(settings)
        try:
            with engine.connect() as connection:
                found |= set(connection.execute(select(events.c.sender_id).distinct()
                                                .where(events.c.sender_id.in_(candidates))).scalars())
        finally:
            engine.dispose()
    if not sqlite_missing(settings.ticket_database_url):
        database = Database(settings.ticket_database_url)
        try:
            with database.session() as session:
                found |= set(session.execute(select(Ticket.conversation_id).distinct()
                                             .where(Ticket.conversation_id.in_(candidates))).scalars())
                found |= set(session.execute(select(ReviewItem.conversation_id).distinct()
                                             .where(ReviewItem.conversation_id.in_(candidates))).scalars())
        finally:
            database.dispose()
    return [candidate for candidate in candidates if candidate in found]


def remove_events(settings: Settings, conversations: List[str]) -> int:
    """Deletes the conversations' rows of Rasa's `events` table; how many."""
    if not conversations or sqlite_missing(settings.conversations_url):
        return 0
    engine = tracker_engine(settings)
    try:
        with engine.begin() as connection:
            return connection.execute(delete(events).where(events.c.sender_id.in_(conversations))).rowcount
    finally:
        engine.dispose()


@contextlib.contextmanager
def _event_stream(settings: Settings) -> Iterator[Any]:
    """The event stream, opened for one change; None when there is none or nothing was stored in it yet."""
    url = settings.event_stream_url
    if not url or sqlite_missing(url):
        yield None
        return
    stream = open_stream(url)
    try:
        yield stream
    finally:
        stream.close()


def remove_stream_entries(settings: Settings, conversations: List[str]) -> int:
    """Deletes the conversations' entries of the event stream; how many."""
    if not conversations:
        return 0
    with _event_stream(settings) as stream:
        return stream.remove_senders(conversations) if stream is not None else 0


def remove_stream_entries_before(settings: Settings, timestamp: float) -> int:
    """Deletes the event stream's entries older than `timestamp` (retention); how many."""
    with _event_stream(settings) as stream:
        return stream.remove_before(timestamp) if stream is not None else 0


def delete_in_batches(begin: Callable[[], ContextManager[Any]], table: Any, where: Any, batch: int) -> int:
    """Deletes `table`'s rows matching `where`, `batch` rows (by id) per transaction of `begin()`; how many.

    Short transactions, so the servers writing the same table never wait long (retention)."""
    removed = 0
    while True:
        with begin() as connection:
            ids = list(connection.execute(select(table.c.id).where(where).order_by(table.c.id).limit(batch))
                       .scalars())
            if ids:
                removed += connection.execute(delete(table).where(table.c.id.in_(ids))).rowcount
        if len(ids) < batch:
            return removed


def remove_review_items(session: Any, conversations: List[str]) -> int:
    """Deletes the conversations' messages from the review queue; how many."""
    return session.execute(delete(ReviewItem).where(ReviewItem.conversation_id.in_(conversations))
                           .execution_options(synchronize_session=False)).rowcount


def _glob(text: str) -> str:
    """`text` with Redis's glob characters escaped."""
    return "".join("\\" + char if char in "*?[]\\^" else char for char in text)


def remove_redis_keys(settings: Settings, conversations: List[str]) -> int:
    """Deletes the rate-limit counters and delivery marks named by the conversations; how many.

    Their names hold the conversation id as one `:`-separated part, at the end or followed by the delivery's id:
    `okpay:rate:msg:wechat:o1`, `okpay:seen:wechat:o1:<MsgId>`, `okpay:seen:tried:wechat:o1:<MsgId>`.
    The conversation's lock is left to free itself (`bot.privacy.forget` holds it while it works).
    """
    if not conversations or not settings.redis_url:
        return 0
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=5)
    removed = 0
    try:
        for conversation in conversations:
            for prefix in REDIS_PREFIXES:
                for pattern in (f"{prefix}*{_glob(conversation)}", f"{prefix}*{_glob(conversation)}:*"):
                    keys = [key for key in client.scan_iter(match=pattern, count=1000)
                            if _names(key.decode(), prefix, conversation)]
                    if keys:
                        removed += client.delete(*keys)
    finally:
        client.close()
    return removed


def _names(key: str, prefix: str, conversation: str) -> bool:
    """Whether the Redis key is named by `conversation`: its parts, not a longer id that starts alike."""
    return f":{conversation}:" in f":{key[len(prefix):]}:"
