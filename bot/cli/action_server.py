"""The action server (`bot.actions`), with `GET /ready` next to rasa-sdk's `GET /health`.

`python -m bot.cli.action_server --port 5055` listens on OKPAY_ACTION_HOST.
`/ready` answers 200 once the ticket database answers, 503 otherwise, so a
load balancer sends actions only to replicas that can run them.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
from typing import List

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.settings import get_settings


def _ping_ticket_database() -> None:
    from sqlalchemy import text

    from bot.tickets.database import get_database

    with get_database().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def ready(request: Request) -> HTTPResponse:
    try:
        await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, _ping_ticket_database), timeout=3)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return json({"status": "not_ready", "checks": {"ticket_store": type(error).__name__}}, status=503)
    return json({"status": "ready", "checks": {"ticket_store": "ok"}})


def create_app() -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app = create_sdk_app("bot.actions", cors_origins=None)
    app.add_route(ready, "/ready", methods=["GET"], name="okpay_ready")
    return app


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    create_app().run(settings.action_host, args.port or settings.action_port, workers=1, access_log=False,
                     motd=False)


if __name__ == "__main__":
    main()
