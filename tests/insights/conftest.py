"""Ticket databases and conversation stores for the review queue's tests."""
from __future__ import annotations

from typing import Iterator

import pytest

from bot.database.database import Database
from bot.database.migrate import upgrade
from tests.tickets.conftest import postgres_url  # noqa: F401  (fixture)


@pytest.fixture
def tickets_db(tmp_path) -> Iterator[Database]:
    """A migrated SQLite ticket database."""
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
