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
