"""Ticket databases for tests: a fresh SQLite file, and a fresh schema in the local PostgreSQL.

PostgreSQL is the one these machines run on 127.0.0.1:5432 (database `test`,
trust auth; `OKPAY_TEST_POSTGRES_URL` overrides it). Each test gets its own
schema, dropped afterwards, so nothing shared is touched.
"""
from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.tickets.database import Database
from bot.tickets.migrate import upgrade

POSTGRES_URL = os.environ.get("OKPAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    schema = f"okpay_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
