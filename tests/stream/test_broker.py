"""Rasa's broker named in endpoints.yml puts every stored event on the stream, SQLite or Redis."""
from __future__ import annotations

import asyncio
import logging

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.runtime.cached_tracker_store import CachedSQLTrackerStore
from bot.settings import PROJECT_ROOT
from bot.stream.backends import NOW, RedisStream, SQLiteStream, open_stream
from bot.stream.broker import StreamBroker


@pytest.fixture(params=["sqlite", "redis"])
def stream(request, tmp_path):
    """A stream of each kind: a SQLite file of this test's, a key of this test's on the machine's Redis."""
    if request.param == "sqlite":
        stream = open_stream(f"sqlite:///{tmp_path / 'stream.db'}")
    else:
        redis_url = request.getfixturevalue("redis_url")
        stream = open_stream(str(redis_url), key=redis_url.prefix + "events")
    yield stream
    stream.close()


def test_the_broker_named_in_endpoints_yml_is_ours(monkeypatch, tmp_path):
    import re

    for name in ("endpoints.yml", "endpoints.production.yml"):
        for variable in re.findall(r"\$\{(\w+)\}", (PROJECT_ROOT / name).read_text(encoding="utf-8")):
            monkeypatch.setenv(variable, "1")
    monkeypatch.setenv("OKPAY_EVENT_STREAM_URL", f"sqlite:///{tmp_path / 'stream.db'}")
    for name in ("endpoints.yml", "endpoints.production.yml"):
        config = read_endpoint_config(str(PROJECT_ROOT / name), "event_broker")
        broker = asyncio.run(EventBroker.create(config))
        assert isinstance(broker, StreamBroker) and isinstance(broker.stream, SQLiteStream), name


def two_saves(tmp_path, broker, *second):
    """A new conversation saved with three events, then read back and saved with `second`, through our store."""
    store = CachedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"), event_broker=broker)
    tracker = DialogueStateTracker("rest:u1", [])
    for event in (ActionExecuted("action_listen"), UserUttered("付款失败了"), BotUttered("请先检查网络")):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("rest:u1"))
    for event in second:
        tracker.update(event)
    asyncio.run(store.save(tracker))


def test_rasas_tracker_store_publishes_each_new_event_once_in_order(tmp_path):
    stream_file = f"sqlite:///{tmp_path / 'stream.db'}"
    broker = StreamBroker(stream_file)
    two_saves(tmp_path, broker, UserUttered("还是不行"))
    entries = open_stream(stream_file).read_after("0")
    assert [(event["sender_id"], event["event"], event.get("text")) for _, event in entries] == [
        ("rest:u1", "action", None), ("rest:u1", "user", "付款失败了"), ("rest:u1", "bot", "请先检查网络"),
        ("rest:u1", "user", "还是不行")]
    assert [int(cursor) for cursor, _ in entries] == sorted(int(cursor) for cursor, _ in entries)
    # Rasa's own store class gets the broker from endpoints.yml the same way.
    assert isinstance(TrackerStore.create(None, event_broker=broker), TrackerStore)


def test_our_tracker_store_publishes_a_saves_events_in_one_write(tmp_path, monkeypatch):
    broker = StreamBroker(f"sqlite:///{tmp_path / 'stream.db'}")
    writes = []
    real_append = broker.stream.append
    monkeypatch.setattr(broker.stream, "append", lambda events: writes.append(len(events)) or real_append(events))
    two_saves(tmp_path, broker, UserUttered("还是不行"), BotUttered("试试重启"))
    assert writes == [3, 2]


def test_both_backends_read_after_a_cursor_and_from_now(stream):
    stream.append([{"event": "user", "sender_id": "a", "text": "一"}])
    start = stream.latest()
    stream.append([{"event": "user", "sender_id": "b", "text": "二"}, {"event": "bot", "sender_id": "b", "text": "三"}])
    after = stream.read_after(start)
    assert [event["text"] for _, event in after] == ["二", "三"]
    assert stream.read_after(after[-1][0]) == []
    assert stream.latest() == after[-1][0]
    if isinstance(stream, SQLiteStream):
        assert stream.read_after(NOW) == []
    else:
        assert isinstance(stream, RedisStream) and stream.read_after(after[-1][0], block_ms=100) == []


def test_the_sqlite_stream_keeps_the_newest_entries_and_never_reuses_a_cursor(tmp_path):
    stream = SQLiteStream(f"sqlite:///{tmp_path / 'stream.db'}", keep=20)
    for n in range(100):
        stream.append([{"event": "user", "sender_id": "a", "text": str(n)}])
    kept = stream.read_after("0")
    assert 20 <= len(kept) <= 22 and kept[-1][1]["text"] == "99"
    assert int(kept[-1][0]) == 100


def test_a_failing_stream_is_logged_and_the_turn_goes_on(tmp_path, caplog):
    broker = StreamBroker(f"sqlite:///{tmp_path / 'stream.db'}")
    broker.stream.engine.dispose()
    (tmp_path / "stream.db").unlink()
    (tmp_path / "stream.db").mkdir()  # the file cannot be opened any more
    with caplog.at_level(logging.ERROR, logger="bot.stream.broker"):
        broker.publish({"event": "user", "sender_id": "rest:u1", "text": "卡号 [已隐藏]"})
    assert "rest:u1" in caplog.text and "卡号" not in caplog.text


def test_an_unknown_stream_url_is_refused_clearly():
    with pytest.raises(ValueError, match="sqlite:/// or redis://"):
        open_stream("postgresql://x@127.0.0.1/db")
