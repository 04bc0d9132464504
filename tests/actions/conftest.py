"""A migrated SQLite ticket database that the actions find through the settings."""
from __future__ import annotations

import pytest

from bot.database.database import get_database
from bot.database.migrate import upgrade
from bot.settings import reset_settings_cache


@pytest.fixture
def ticket_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    monkeypatch.setenv("OKPAY_DATABASE_URL", url)
    # Always inside service hours unless a test says otherwise.
    monkeypatch.setenv("OKPAY_SERVICE_HOURS", "00:00-23:59")
    reset_settings_cache()
    upgrade(url)
    yield get_database()
    get_database().dispose()
    reset_settings_cache()
