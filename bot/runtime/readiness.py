"""Whether a Rasa process is ready: the model is loaded and the stores answer (served at `GET /ready` by
`bot.channels.service`).

`GET /` (Rasa's own) only says the process is up. A load balancer or an
orchestrator should send traffic to a replica only once `/ready` answers 200;
it answers 503 with what is missing otherwise.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict


def _ping_sql(engine: Any) -> None:
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def readiness(agent: Any) -> Dict[str, str]:
    """Each part's state: "ok", or why not."""
    checks: Dict[str, str] = {}
    if agent is None or not agent.is_ready():
        return {"model": "loading"}
    checks["model"] = "ok"
    loop = asyncio.get_running_loop()
    tracker_store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
    engine = getattr(tracker_store, "engine", None)
    if engine is not None:
        try:
            await asyncio.wait_for(loop.run_in_executor(None, _ping_sql, engine), timeout=3)
            checks["tracker_store"] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means "not ready"
            checks["tracker_store"] = type(error).__name__
    redis_client = getattr(agent.lock_store, "red", None)
    if redis_client is not None:
        try:
            await asyncio.wait_for(loop.run_in_executor(None, redis_client.ping), timeout=3)
            checks["lock_store"] = "ok"
        except Exception as error:  # noqa: BLE001
            checks["lock_store"] = type(error).__name__
    return checks
