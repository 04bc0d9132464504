"""The tracker store fails loudly: no silent in-memory conversation when the database is down."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

from bot.runtime import tracker_store


class BrokenStore:
    """A tracker store whose database is restarting."""

    def __init__(self, domain: Domain):
        self.domain, self.event_broker = domain, None

    async def retrieve(self, sender_id: str):
        raise OperationalError("SELECT", {}, Exception("the database system is shutting down"))

    async def save(self, tracker) -> None:
        raise OperationalError("INSERT", {}, Exception("the database system is shutting down"))


def test_a_failing_store_raises_instead_of_answering_from_memory():
    domain = Domain.empty()
    store = tracker_store.fail_safe_store(BrokenStore(domain))
    tracker = DialogueStateTracker.from_events("u1", [UserUttered("你好")])
    with pytest.raises(OperationalError):
        asyncio.run(store.retrieve("u1"))
    with pytest.raises(OperationalError):
        asyncio.run(store.save(tracker))
    # Rasa's own wrapper would have kept the turn in memory and answered from it.
    assert store._fallback_tracker_store is None


def test_a_working_store_is_read_and_written_through(tmp_path):
    domain = Domain.empty()
    store = tracker_store.fail_safe_store(SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t.db")))
    asyncio.run(store.save(DialogueStateTracker.from_events("u1", [UserUttered("你好")])))
    again = asyncio.run(store.retrieve("u1"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["你好"]


def test_an_agents_store_is_made_loud_once_and_rasas_wrapper_kept():
    from rasa.core.tracker_store import FailSafeTrackerStore

    agent = Agent(domain=Domain.empty(), tracker_store=BrokenStore(Domain.empty()))
    rasas = agent.tracker_store
    assert isinstance(rasas, FailSafeTrackerStore)
    assert asyncio.run(rasas.retrieve("u1")) is None  # Rasa's default: the error is swallowed
    tracker_store.make_loud(agent)
    tracker_store.make_loud(agent)
    assert agent.tracker_store is rasas and agent.processor is None or agent.processor.tracker_store is rasas
    with pytest.raises(OperationalError):
        asyncio.run(agent.tracker_store.retrieve("u1"))
    with pytest.raises(OperationalError):
        asyncio.run(agent.tracker_store.save(DialogueStateTracker.from_events("u1", [UserUttered("你好")])))


def test_an_agent_without_rasas_wrapper_is_left_alone():
    from types import SimpleNamespace

    agent = SimpleNamespace(tracker_store=BrokenStore(Domain.empty()))
    tracker_store.make_loud(agent)
    assert not hasattr(agent.tracker_store, "_on_tracker_store_error")
