"""`/ready` of a Rasa replica: 200 only when the model is loaded and both stores answer."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import redis
from sqlalchemy import create_engine

from bot.runtime.readiness import readiness
from tests.servers import free_port


def agent(ready=True, engine=None, red=None) -> SimpleNamespace:
    tracker_store = SimpleNamespace(engine=engine) if engine is not None else SimpleNamespace()
    # Rasa wraps the tracker store in an AwaitableTrackerStore that keeps it in `_tracker_store`.
    return SimpleNamespace(is_ready=lambda: ready, tracker_store=SimpleNamespace(_tracker_store=tracker_store),
                           lock_store=SimpleNamespace(red=red) if red is not None else SimpleNamespace())


def test_a_loading_model_is_not_ready():
    assert asyncio.run(readiness(agent(ready=False))) == {"model": "loading"}
    assert asyncio.run(readiness(None)) == {"model": "loading"}


def test_ready_when_the_tracker_database_and_redis_answer(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    checks = asyncio.run(readiness(agent(engine=engine, red=redis.Redis(host="127.0.0.1", port=6379))))
    assert checks == {"model": "ok", "tracker_store": "ok", "lock_store": "ok"}


def test_each_store_that_does_not_answer_is_named():
    port = free_port()
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{port}/none")
    checks = asyncio.run(readiness(agent(engine=engine, red=redis.Redis(host="127.0.0.1", port=port,
                                                                           socket_timeout=1))))
    assert checks["model"] == "ok"
    assert checks["tracker_store"] == "OperationalError"
    assert checks["lock_store"] == "ConnectionError"
