"""Engines and sessions of the ticket store, created on first use.

SQLite: every transaction starts with `BEGIN IMMEDIATE`, so two processes (the
action server and the console) queue for the write lock instead of failing
with "database is locked" when both upgrade a read lock at once; foreign keys
are switched on. PostgreSQL: pre-ping, so a restarted server costs one retry
instead of an error.
"""
from __future__ import annotations

import contextlib
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import get_settings

SQLITE_BUSY_TIMEOUT_S = 30
#: Pauses of `Database.run` between two tries while the database is unreachable.
RETRY_PAUSES_S: Sequence[float] = (0.5, 1.0, 2.0)
T = TypeVar("T")


class StoreUnavailable(RuntimeError):
    """The ticket database cannot be reached (down, locked too long, misconfigured)."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_database_if_missing(url: str) -> None:
    """Creates the PostgreSQL database of `url` when the server does not have it yet."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        return
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": target.database}).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


class Database:
    """One ticket database: its engine and a session factory."""

    def __init__(self, url: str):
        self.url = url
        self._engine: Engine | None = None
        self._sessions: sessionmaker | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
            self._sessions = sessionmaker(self._engine, expire_on_commit=False, future=True)
        return self._engine

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed at the end of the block, rolled back on error.

        Connection failures come out as `StoreUnavailable`, so callers can
        tell "the database is down" from a bug.
        """
        self.engine  # noqa: B018 - builds the session factory
        assert self._sessions is not None
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as error:
            session.rollback()
            raise StoreUnavailable(str(error.orig)) from error
        except DBAPIError as error:
            session.rollback()
            if error.connection_invalidated:
                raise StoreUnavailable(str(error.orig)) from error
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def run(self, work: Callable[[Session], T], pauses: Sequence[float] = RETRY_PAUSES_S) -> T:
        """`work(session)` in a transaction, tried again while the database is unreachable.

        For work that is safe to repeat (idempotent, as opening a ticket per
        message is): a PostgreSQL restart then costs a second or two, not an
        error. `StoreUnavailable` once the pauses are used up.
        """
        for pause in [*pauses, None]:
            try:
                with self.session() as session:
                    return work(session)
            except StoreUnavailable:
                if pause is None:
                    raise
                time.sleep(pause)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@lru_cache(maxsize=4)
def _database_for(url: str) -> Database:
    return Database(url)


def get_database() -> Database:
    """The ticket database of the current settings (one per process)."""
    return _database_for(get_settings().ticket_database_url)
