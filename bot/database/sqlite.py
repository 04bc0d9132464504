"""A SQLite engine that keeps its connections, in write-ahead-log mode: the tracker store's and the event stream's.

SQLAlchemy 1.4 opens and closes a SQLite connection for every use of a file
database, and closing a WAL connection checkpoints the log: most of a
commit's time. Kept connections are used by one thread at a time (the pool's
checkout), so they may move between threads.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///…` URL; None for another database or an in-memory one."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.split("///", 1)[1]
    return Path(path) if path and path != ":memory:" else None


def sqlite_missing(url: str) -> bool:
    """A SQLite URL whose file does not exist (nothing stored there yet: nothing to remove, nothing to read)."""
    path = sqlite_file(url)
    return path is not None and not path.exists()


def kept_sqlite_engine(url: Any, synchronous: str, **options: Any) -> sa.engine.Engine:
    """An engine for the SQLite file at `url` with pooled WAL connections committing at `synchronous`
    ("FULL": durable across a power cut; "NORMAL": across a crash of the process only)."""
    connect_args = {"check_same_thread": False, **options.pop("connect_args", {})}
    engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, connect_args=connect_args, **options)

    def write_ahead_log(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    sa.event.listen(engine, "connect", write_ahead_log)
    return engine
