"""`GET /ready` on the Rasa server: the model is loaded and the stores answer.

`GET /` (Rasa's own) only says the process is up. A load balancer or an
orchestrator should send traffic to a replica only once `/ready` answers 200;
it answers 503 with what is missing otherwise.
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json


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


#: Set by the public load balancer (bot/deploy/nginx.py) on `/ready`: the internet learns ready or not,
#: never which store failed or with which error.
PUBLIC_HEADER = "X-OKPay-Public"


def add_ready_route(app: Sanic) -> None:
    async def ready(request: Request) -> HTTPResponse:
        checks = await readiness(getattr(request.app.ctx, "agent", None))
        ok = all(state == "ok" for state in checks.values())
        body = {"status": "ready" if ok else "not_ready"}
        if not request.headers.get(PUBLIC_HEADER):
            body["checks"] = checks
        return json(body, status=200 if ok else 503)

    app.add_route(ready, "/ready", methods=["GET"], name="okpay_ready")


def install() -> None:
    """Adds `/ready` to every app `rasa run` configures."""
    import rasa.core.run

    original = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = original(*args, **kwargs)
        add_ready_route(app)
        return app

    rasa.core.run.configure_app = configure_app
