"""Where the event stream is kept: a SQLite table or a Redis stream (see `bot.stream`).

Each entry is one Rasa event as its broker gets it (the event's dict with
`sender_id`), with a cursor: the row id (SQLite) or the stream id (Redis).
Cursors only grow; "$" means "from now on".
"""
from __future__ import annotations

import json
import threading
from typing import Any, Dict, Iterable, List, Tuple

import sqlalchemy as sa

from bot.database.sqlite import kept_sqlite_engine

#: One stream entry: its cursor and the event.
Entry = Tuple[str, Dict[str, Any]]
#: Entries the stream keeps (older ones are dropped): the feed is live news, not the record (that is the tracker
#: store). About 1 KB each.
DEFAULT_KEEP = 100_000
NOW = "$"

_metadata = sa.MetaData()
STREAM_TABLE = sa.Table(
    "okpay_event_stream", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sqlite_autoincrement=True,  # ids never reused after a trim: a reader's cursor stays meaningful
)


class SQLiteStream:
    """The stream as a table of a SQLite file (embedded: one Rasa process writes, the console reads)."""

    def __init__(self, url: str, keep: int = DEFAULT_KEEP) -> None:
        # Committed without waiting for the disk: the stream is live news and the tracker store is the record,
        # so a power cut may lose its last entries, never a conversation's (waiting cost 1.5 ms per event).
        self.engine = kept_sqlite_engine(url, "NORMAL", connect_args={"timeout": 10})
        _metadata.create_all(self.engine)
        self.keep, self._appended, self._lock = keep, 0, threading.Lock()

    def append(self, events: List[Dict[str, Any]]) -> None:
        rows = [{"sender_id": str(event.get("sender_id") or ""), "body": json.dumps(event, ensure_ascii=False)}
                for event in events]
        with self._lock, self.engine.begin() as connection:
            connection.execute(STREAM_TABLE.insert(), rows)
            self._appended += len(rows)
            if self._appended >= max(self.keep // 10, 1):
                self._appended = 0
                newest = connection.execute(sa.select(sa.func.max(STREAM_TABLE.c.id))).scalar() or 0
                connection.execute(STREAM_TABLE.delete().where(STREAM_TABLE.c.id <= newest - self.keep))

    def latest(self) -> str:
        with self.engine.connect() as connection:
            return str(connection.execute(sa.select(sa.func.max(STREAM_TABLE.c.id))).scalar() or 0)

    def read_after(self, cursor: str, limit: int = 500) -> List[Entry]:
        after = int(self.latest() if cursor == NOW else cursor or 0)
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(STREAM_TABLE.c.id, STREAM_TABLE.c.body)
                                      .where(STREAM_TABLE.c.id > after).order_by(STREAM_TABLE.c.id)
                                      .limit(limit)).all()
        return [(str(row.id), json.loads(row.body)) for row in rows]

    def remove_senders(self, senders: Iterable[str]) -> int:
        """Deletes the entries of these conversations (a deletion request); how many."""
        senders = list(senders)
        if not senders:
            return 0
        with self._lock, self.engine.begin() as connection:
            return connection.execute(STREAM_TABLE.delete().where(STREAM_TABLE.c.sender_id.in_(senders))).rowcount

    def remove_before(self, timestamp: float, batch: int = 1000) -> int:
        """Deletes the entries of events older than `timestamp` (retention), oldest first, a batch at a time."""
        removed = 0
        while True:
            with self.engine.connect() as connection:
                rows = connection.execute(sa.select(STREAM_TABLE.c.id, STREAM_TABLE.c.body)
                                          .order_by(STREAM_TABLE.c.id).limit(batch)).all()
            old = [row.id for row in rows if float(json.loads(row.body).get("timestamp") or 0) < timestamp]
            if old:
                with self._lock, self.engine.begin() as connection:
                    removed += connection.execute(STREAM_TABLE.delete().where(STREAM_TABLE.c.id.in_(old))).rowcount
            if len(old) < len(rows) or len(rows) < batch:
                return removed

    def close(self) -> None:
        self.engine.dispose()


class RedisStream:
    """The stream as a Redis stream (replicated: every Rasa replica writes, every console reads)."""

    def __init__(self, url: str, key: str = "okpay:events", keep: int = DEFAULT_KEEP) -> None:
        import redis

        self.url, self.key, self.keep = url, key, keep
        self.client = redis.Redis.from_url(url, socket_timeout=5)

    def append(self, events: List[Dict[str, Any]]) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.xadd(self.key, {"body": json.dumps(event, ensure_ascii=False)}, maxlen=self.keep,
                          approximate=True)
            pipe.execute()

    def latest(self) -> str:
        newest = self.client.xrevrange(self.key, count=1)
        return newest[0][0].decode() if newest else "0-0"

    def read_after(self, cursor: str, limit: int = 500, block_ms: int | None = None) -> List[Entry]:
        answer = self.client.xread({self.key: cursor or "0-0"}, count=limit, block=block_ms)
        return [(entry_id.decode(), json.loads(fields[b"body"])) for _, entries in answer or []
                for entry_id, fields in entries]

    def remove_senders(self, senders: Iterable[str], page: int = 1000) -> int:
        """Deletes the entries of these conversations (a deletion request): the whole stream is read, a page at a
        time (it keeps `keep` entries at most); how many."""
        wanted, removed, start = set(senders), 0, "-"
        while wanted:
            entries = self.client.xrange(self.key, min=start, count=page)
            matching = [entry_id for entry_id, fields in entries
                        if json.loads(fields[b"body"]).get("sender_id") in wanted]
            if matching:
                removed += self.client.xdel(self.key, *matching)
            if len(entries) < page:
                break
            start = "(" + entries[-1][0].decode()
        return removed

    def remove_before(self, timestamp: float) -> int:
        """Deletes the entries older than `timestamp` (retention): a stream id starts with its time in ms."""
        return int(self.client.xtrim(self.key, minid=f"{int(timestamp * 1000)}-0", approximate=False))

    def close(self) -> None:
        self.client.close()


#: The Redis key of the stream, unless configured otherwise.
DEFAULT_KEY = "okpay:events"


def open_stream(url: str, keep: int = DEFAULT_KEEP, key: str = DEFAULT_KEY) -> SQLiteStream | RedisStream:
    """The stream kept at `url` (sqlite:///… or redis://…; `key`: the Redis stream's key)."""
    if url.startswith("sqlite:"):
        return SQLiteStream(url, keep)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStream(url, key=key, keep=keep)
    raise ValueError("the event stream URL must start with sqlite:/// or redis://")
