"""The cached SQL tracker store: the same trackers as Rasa's store, from only the rows stored since it last looked.

(On PostgreSQL with two replicas it is exercised by tests/production: ordering,
exactly-once and fault checks read what it stored.)
"""
from __future__ import annotations

import asyncio
import sqlite3

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.cached_tracker_store import CachedSQLTrackerStore, current_session

DOMAIN = Domain.from_dict({"slots": {"guide": {"type": "text", "mappings": [{"type": "custom"}]}}})


def run(coroutine):
    return asyncio.run(coroutine)


def stores(tmp_path, cache_size: int = 256):
    db = str(tmp_path / "tracker.db")
    return CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db, cache_size=cache_size), \
        SQLTrackerStore(DOMAIN, dialect="sqlite", db=db)


def turn(store, sender: str, text: str) -> None:
    """One turn as Rasa's processor does it: retrieve (or a new tracker), add events, save."""
    tracker = run(store.retrieve(sender)) or DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(UserUttered(text))
    tracker.update(SlotSet("guide", text))
    tracker.update(BotUttered(f"答：{text}"))
    tracker.update(ActionExecuted("action_listen"))
    run(store.save(tracker))


def dicts(tracker):
    return [event.as_dict() for event in tracker.events] if tracker else None


def test_the_trackers_are_rasas_through_turns_new_sessions_and_another_replica(tmp_path):
    cached, rasas = stores(tmp_path)
    other_replica, _ = stores(tmp_path)
    for index in range(5):
        turn(cached, "u1", f"第{index}句")
        assert dicts(run(cached.retrieve("u1"))) == dicts(run(rasas.retrieve("u1")))
    turn(other_replica, "u1", "在另一个副本")  # rows this process did not write
    assert dicts(run(cached.retrieve("u1"))) == dicts(run(rasas.retrieve("u1")))
    tracker = run(cached.retrieve("u1"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    run(cached.save(tracker))
    turn(cached, "u1", "新会话")
    assert dicts(run(cached.retrieve("u1"))) == dicts(run(rasas.retrieve("u1")))
    assert run(cached.retrieve("u1")).get_slot("guide") == "新会话"
    # Nothing stored twice: the rows are Rasa's rows.
    assert len(run(rasas.retrieve_full_tracker("u1")).events) == 7 * 4 + 3  # seven turns and the new session's three events


def test_once_cached_only_new_rows_are_read(tmp_path):
    """Proof by a row removed behind Rasa's back: the cached store does not read the old rows again."""
    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    run(cached.retrieve("u1"))
    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        connection.execute("DELETE FROM events WHERE type_name = 'bot'")
    assert "bot" in [e["event"] for e in dicts(run(cached.retrieve("u1")))]
    assert "bot" not in [e["event"] for e in dicts(run(rasas.retrieve("u1")))]
    turn(cached, "u1", "还在吗")  # new rows still arrive
    assert [e["text"] for e in dicts(run(cached.retrieve("u1"))) if e["event"] == "user"] == ["你好", "还在吗"]


def test_a_conversation_that_left_the_cache_is_read_in_full_again(tmp_path):
    cached, rasas = stores(tmp_path, cache_size=1)
    for sender in ("u1", "u2", "u1", "u2"):
        turn(cached, sender, f"{sender}说")
    for sender in ("u1", "u2"):
        assert dicts(run(cached.retrieve(sender))) == dicts(run(rasas.retrieve(sender)))
    assert list(cached._sessions) == ["u2"]
    assert run(cached.retrieve("nobody")) is None


def test_the_current_session_starts_at_the_latest_session_started():
    events = [{"event": "user", "timestamp": 1}, {"event": "action", "timestamp": 2},
              {"event": "session_started", "timestamp": 2}, {"event": "user", "timestamp": 3}]
    assert current_session(events) == events[1:]
    assert current_session(events[:2]) == events[:2]
