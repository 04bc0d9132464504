"""Ticket databases for tests: a fresh SQLite file, and a fresh schema in the local PostgreSQL.

PostgreSQL is the one these machines run on 127.0.0.1:5432 (database `test`,
trust auth; `OKPAY_TEST_POSTGRES_URL` overrides it). Each test gets its own
schema, dropped afterwards, so nothing shared is touched.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from bot.database.database import Database
from bot.database.migrate import upgrade
from tests.postgres import postgres_schema


def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def database(database_url) -> Iterator[Database]:
    """A migrated ticket database, on SQLite and on PostgreSQL."""
    upgrade(database_url)
    db = Database(database_url)
    yield db
    db.dispose()
