"""Throw-away PostgreSQL schemas on the machine's server, for tests and benchmarks."""
from __future__ import annotations

import contextlib
import os
import uuid
from typing import Iterator

from sqlalchemy import create_engine, text

#: The machine's PostgreSQL (127.0.0.1:5432, database `test`, trust auth); OKPAY_TEST_POSTGRES_URL overrides it.
POSTGRES_URL = os.environ.get("OKPAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema(prefix: str = "okpay_test", server_url: str = POSTGRES_URL) -> Iterator[str]:
    """A URL whose connections live in a new schema of their own, dropped with all it holds afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{server_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def postgres_database(prefix: str = "okpay_test", server_url: str = POSTGRES_URL) -> Iterator[str]:
    """The URL of a new database of its own on the machine's server (pg_dump dumps whole databases), dropped
    afterwards with whatever still connects to it."""
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
