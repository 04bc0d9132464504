"""Rasa's events table prepared before the servers start: created once, with the index the figures need."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, inspect

from bot.conversations.events_table import TIMESTAMP_INDEX, prepare_events_table
from bot.settings import Settings
from tests.postgres import postgres_schema


def indexes(url: str) -> set:
    engine = create_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes("events")}
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'okpay.db'}"
    else:
        with postgres_schema() as schema_url:
            yield schema_url


def test_a_fresh_store_gets_the_table_and_the_timestamp_index_and_twice_changes_nothing(url):
    prepare_events_table(url)
    prepare_events_table(url)
    assert TIMESTAMP_INDEX in indexes(url)


def test_rasa_keeps_using_the_prepared_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'okpay.db'}"
    prepare_events_table(url)
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "okpay.db"))
    asyncio.run(store.save(DialogueStateTracker.from_events("u1", [UserUttered("你好")])))
    again = asyncio.run(store.retrieve("u1"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["你好"]


def test_a_store_rasa_made_before_gets_the_index(tmp_path):
    SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "okpay.db"))  # Rasa creates its table
    url = f"sqlite:///{tmp_path / 'okpay.db'}"
    assert TIMESTAMP_INDEX not in indexes(url)
    prepare_events_table(url)
    assert TIMESTAMP_INDEX in indexes(url)


def test_the_conversations_live_where_each_deployment_keeps_them(tmp_path):
    embedded = Settings(tracker_db=tmp_path / "t.db")
    assert embedded.conversations_url == f"sqlite:///{tmp_path / 't.db'}"
    replicated = Settings(deployment="replicated", database_url="postgresql://db/okpay",
                          redis_url="redis://127.0.0.1:6379/0")
    assert replicated.conversations_url == "postgresql://db/okpay"
