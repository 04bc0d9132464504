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

import logging
from pathlib import Path
from typing import Any, Iterable, List

from sqlalchemy import delete, select

from bot.conversations.events_table import events
from bot.database.database import Database, make_engine
from bot.insights.review_items import ReviewItem
from bot.settings import Settings
from bot.stream.backends import open_stream

logger = logging.getLogger(__name__)

#: The Redis key prefixes under which channels keep marks named by the conversation (bot/channels, bot/ratelimit).
REDIS_PREFIXES = ("okpay:rate:", "okpay:seen:", "okpay:delivery:")


def sqlite_missing(url: str) -> bool:
    """A SQLite URL whose file does not exist (nothing stored there yet: nothing to remove, nothing to create)."""
    return url.startswith("sqlite:///") and not Path(url.split("///", 1)[1]).exists()


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


def remove_stream_entries(settings: Settings, conversations: List[str]) -> int:
    """Deletes the conversations' entries of the event stream; how many."""
    url = settings.event_stream_url
    if not conversations or not url or sqlite_missing(url):
        return 0
    stream = open_stream(url)
    try:
        return stream.remove_senders(conversations)
    finally:
        stream.close()


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
