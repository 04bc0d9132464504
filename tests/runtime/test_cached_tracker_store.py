"""The cached SQL tracker store: the same trackers as Rasa's store, from only the rows stored since it last looked.

(On PostgreSQL with two replicas it is exercised by tests/production: ordering,
exactly-once and fault checks read what it stored.)
"""
from __future__ import annotations

import asyncio
import json
import sqlite3

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.cached_tracker_store import CachedSQLTrackerStore
from bot.runtime.incremental_tracker import IncrementalTracker

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
    assert list(cached._kept) == ["u2"]
    assert run(cached.retrieve("nobody")) is None


def test_a_turn_gets_the_tracker_kept_from_the_last_turn(tmp_path):
    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    first = run(cached.retrieve("u1"))
    assert isinstance(first, IncrementalTracker)
    first.update(UserUttered("还是不行"))
    run(cached.save(first))
    assert run(cached.retrieve("u1")) is first
    assert dicts(first) == dicts(run(rasas.retrieve("u1")))


def test_while_a_turn_changes_the_tracker_others_get_what_is_stored(tmp_path):
    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    in_turn = run(cached.retrieve("u1"))
    in_turn.update(UserUttered("提现没到账"))  # the turn is not saved yet
    meanwhile = run(cached.retrieve("u1"))
    assert meanwhile is not in_turn
    assert dicts(meanwhile) == dicts(run(rasas.retrieve("u1")))
    in_turn.update(BotUttered("请问是哪一天提现的？"))
    run(cached.save(in_turn))
    assert dicts(run(cached.retrieve("u1"))) == dicts(in_turn) == dicts(run(rasas.retrieve("u1")))


def test_a_turn_that_failed_before_saving_leaves_nothing_behind(tmp_path):
    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    failed = run(cached.retrieve("u1"))
    failed.update(UserUttered("这句没存上"))  # then the turn fails: no save
    again = run(cached.retrieve("u1"))
    assert "这句没存上" not in [e.get("text") for e in dicts(again)]
    turn(cached, "u1", "再发一次")
    assert dicts(run(cached.retrieve("u1"))) == dicts(run(rasas.retrieve("u1")))
    texts = [e.get("text") for e in dicts(run(rasas.retrieve_full_tracker("u1"))) if e["event"] == "user"]
    assert texts == ["你好", "再发一次"]


def test_a_tracker_the_store_did_not_hand_out_is_stored_by_rasas_count(tmp_path):
    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    run(cached.retrieve("u1"))
    other = DialogueStateTracker.from_events("u1", list(run(rasas.retrieve("u1")).events), DOMAIN.slots)
    other.update(UserUttered("从别处来"))
    run(cached.save(other))
    assert dicts(run(cached.retrieve("u1"))) == dicts(run(rasas.retrieve("u1"))) == dicts(other)


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published = []

    def publish(self, event, **kwargs) -> None:
        self.published.append(event)


def test_the_event_broker_gets_each_new_event_once(tmp_path):
    cached, _ = stores(tmp_path)
    cached.event_broker = RecordingBroker()
    for text in ("你好", "付款失败", "谢谢"):
        turn(cached, "u1", text)
    published = cached.event_broker.published
    assert [e.get("text") for e in published if e["event"] == "user"] == ["你好", "付款失败", "谢谢"]
    assert len(published) == 3 * 4


def test_the_broker_gets_the_new_events_without_the_conversation_being_read_again(tmp_path, monkeypatch):
    cached, _ = stores(tmp_path)
    turn(cached, "u1", "你好")
    run(cached.retrieve("u1"))
    cached.event_broker = RecordingBroker()
    reads = []
    monkeypatch.setattr(cached, "_event_query", lambda *args, **kwargs: reads.append(args) or 1 / 0)
    turn(cached, "u1", "付款失败")
    assert reads == []
    assert [e.get("text") for e in cached.event_broker.published if e["event"] == "user"] == ["付款失败"]


def test_a_new_session_another_replica_started_replaces_the_kept_one(tmp_path):
    cached, rasas = stores(tmp_path)
    other_replica, _ = stores(tmp_path)
    turn(cached, "u1", "你好")
    run(cached.retrieve("u1"))
    tracker = run(other_replica.retrieve("u1"))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    run(other_replica.save(tracker))
    turn(other_replica, "u1", "第二天又来了")
    assert dicts(run(cached.retrieve("u1"))) == dicts(run(rasas.retrieve("u1")))
    assert [e.get("text") for e in dicts(run(cached.retrieve("u1"))) if e["event"] == "user"] == ["第二天又来了"]


def test_sqlite_keeps_its_connections_in_write_ahead_log_mode(tmp_path):
    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    assert type(cached.engine.pool).__name__ == "QueuePool"
    with cached.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    # Rasa's own store (another process, say) reads what was written.
    assert [e.get("text") for e in dicts(run(rasas.retrieve("u1"))) if e["event"] == "user"] == ["你好"]


def test_a_store_used_from_another_thread_still_works(tmp_path):
    import threading

    cached, rasas = stores(tmp_path)
    turn(cached, "u1", "你好")
    errors = []
    worker = threading.Thread(target=lambda: errors.extend(
        [] if run(cached.retrieve("u1")) is not None else ["nothing read"]))
    worker.start()
    worker.join()
    turn(cached, "u1", "还在吗")
    assert errors == []
    assert len([e for e in dicts(run(rasas.retrieve("u1"))) if e["event"] == "user"]) == 2


def test_within_one_hold_of_the_lock_the_rows_of_others_are_read_once(tmp_path, monkeypatch):
    from bot.runtime.turn_scope import holding

    cached, rasas = stores(tmp_path)
    other_replica, _ = stores(tmp_path)
    turn(cached, "u1", "你好")
    run(cached.retrieve("u1"))
    queries = []
    original = cached._rows_after
    monkeypatch.setattr(cached, "_rows_after", lambda *args: queries.append(args) or original(*args))
    turn(other_replica, "u1", "另一个副本")
    with holding("u1"):
        first = run(cached.retrieve("u1"))  # the re-send check
        assert run(cached.retrieve("u1")) is first  # Rasa's turn: nobody else can have written
        assert len(queries) == 1
        with holding("u2"):
            run(cached.retrieve("u1"))  # not this conversation's hold: read
        assert len(queries) == 2
    run(cached.retrieve("u1"))  # no hold: read
    with holding("u1"):
        run(cached.retrieve("u1"))  # a new hold: read
    assert len(queries) == 4
    assert dicts(first) == dicts(run(rasas.retrieve("u1")))


def test_sqlite_connections_are_checked_before_use(tmp_path):
    cached, _ = stores(tmp_path)
    assert cached.engine.pool._pre_ping is True


def test_after_postgresql_drops_its_connections_the_next_turn_reconnects(monkeypatch):
    """The pooled connections die when PostgreSQL restarts: the pool notices (pre-ping) and opens new ones."""
    from sqlalchemy import create_engine, text

    from tests.postgres import POSTGRES_URL, postgres_schema

    with postgres_schema() as url:
        monkeypatch.setenv("POSTGRESQL_SCHEMA", url.rsplit("%3D", 1)[1])
        store = CachedSQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db="test",
                                      username="postgres", cache_size=0)
        try:
            assert store.engine.pool._pre_ping is True
            assert store.engine.pool.size() == 50  # Rasa's settings for PostgreSQL kept (POSTGRESQL_POOL_SIZE)
            turn(store, "u1", "你好")
            with store.engine.connect() as connection:  # the pool's one connection, as the turns use it
                pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as connection:
                assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            admin.dispose()
            turn(store, "u1", "还在吗")
            assert [e.get("text") for e in dicts(run(store.retrieve("u1"))) if e["event"] == "user"] == [
                "你好", "还在吗"]
        finally:
            store.engine.dispose()


def stored_texts(tmp_path, sender: str) -> list:
    rows = sqlite3.connect(tmp_path / "tracker.db").execute(
        "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(data).get("text") for (data,) in rows]


def delete_rows(tmp_path, sender: str) -> None:
    """What `python -m bot.privacy.forget` does to the events table, from another process."""
    connection = sqlite3.connect(tmp_path / "tracker.db")
    with connection:
        connection.execute("DELETE FROM events WHERE sender_id = ?", (sender,))
    connection.close()


def test_a_kept_conversation_deleted_in_the_database_is_not_served_from_memory(tmp_path):
    cached, _ = stores(tmp_path)
    turn(cached, "u1", "我的手机号13812345678")
    assert run(cached.retrieve("u1")) is not None  # kept, up to date, no own rows pending (a widget's history read)
    delete_rows(tmp_path, "u1")
    assert run(cached.retrieve("u1")) is None
    turn(cached, "u1", "重新开始")
    assert stored_texts(tmp_path, "u1") == ["重新开始", None, "答：重新开始", None]


def test_rows_deleted_during_a_turn_are_not_written_back_by_its_save(tmp_path):
    cached, _ = stores(tmp_path, cache_size=0)  # the turn's tracker is not kept: the count it carries decides
    turn(cached, "u1", "我的手机号13812345678")
    tracker = run(cached.retrieve("u1"))
    delete_rows(tmp_path, "u1")
    tracker.update(UserUttered("之后的一句"))
    run(cached.save(tracker))
    assert stored_texts(tmp_path, "u1") == ["之后的一句"]
