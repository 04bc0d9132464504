"""The action server (`bot.actions`), with `GET /ready` and `GET /metrics` next to rasa-sdk's `GET /health`.

`python -m bot.cli.action_server --port 5055` listens on OKPAY_ACTION_HOST.
`/ready` answers 200 once the ticket database answers, 503 otherwise, so a
load balancer sends actions only to replicas that can run them. `/metrics`
is the process's Prometheus metrics (guide steps, fallbacks, tickets opened,
handoffs requested: `bot.observability`).

`POST /webhook` (the actions) answers only calls that carry the shared
secret `OKPAY_ACTION_SECRET` in `X-OKPay-Action-Secret`, which Rasa sends
(endpoints.yml): in a deployment over several machines the action server
is reached over the network, and its actions open tickets and read
conversations. Without a secret it refuses to start in production and
warns elsewhere. `/health`, `/ready` and `/metrics` need no secret: probes and
Prometheus do not hold it, and they neither run anything nor tell anything
about a user (the metrics are counts with bounded labels; `OKPAY_METRICS_TOKEN`
closes `/metrics` to callers without that token).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
from typing import List

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw

from bot.logs.context import enter_scope, leave_scope
from bot.logs.setup import configure_logging
from bot.observability.exposition import exposition, scraper_allowed
from bot.settings import get_settings


def _ping_ticket_database() -> None:
    from sqlalchemy import text

    from bot.database.database import get_database

    with get_database().engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def ready(request: Request) -> HTTPResponse:
    try:
        await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, _ping_ticket_database), timeout=3)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return json({"status": "not_ready", "checks": {"ticket_store": type(error).__name__}}, status=503)
    return json({"status": "ready", "checks": {"ticket_store": "ok"}})


async def metrics(request: Request) -> HTTPResponse:
    if not scraper_allowed(request.headers.get("Authorization"), get_settings().metrics_token):
        return json({"error": "not_allowed"}, status=401)
    body, content_type = exposition()
    return raw(body, content_type=content_type)


SECRET_HEADER = "X-OKPay-Action-Secret"
#: What load balancers, probes and Prometheus call without the secret.
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics"})
logger = logging.getLogger(__name__)


def _caller_checked(secret: str):
    async def check(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None  # they tell nothing and do nothing; everything else (/webhook, /actions) needs the secret
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
            return json({"error": "not_allowed", "message": f"missing or wrong {SECRET_HEADER}"}, status=401)
        return None

    return check


async def _enter_log_scope(request: Request) -> None:
    """The lines logged while an action runs carry its conversation's hash (`bot.logs`) and the request id."""
    body = None
    if request.path == "/webhook" and request.method == "POST":
        with contextlib.suppress(Exception):  # a body that is not JSON: rasa-sdk answers it
            body = request.json
    sender = body.get("sender_id") if isinstance(body, dict) else None
    request.ctx.okpay_log_scope = enter_scope(sender if isinstance(sender, str) else None,
                                              request.headers.get("X-Request-Id"))


async def _leave_log_scope(request: Request, response: HTTPResponse) -> None:
    token = getattr(request.ctx, "okpay_log_scope", None)
    if token is not None:
        request.ctx.okpay_log_scope = None
        leave_scope(token)


def create_app(secret: str | None = None) -> Sanic:
    """The action server's app; with `secret`, actions are run only for callers that send it."""
    from rasa_sdk.endpoint import create_app as create_sdk_app

    settings = get_settings()
    secret = settings.action_secret if secret is None else secret
    if not secret:
        if settings.environment == "production":
            raise SystemExit("OKPAY_ACTION_SECRET must be set in production")
        logger.warning("OKPAY_ACTION_SECRET is not set: the action server runs actions for any caller")
    app = create_sdk_app("bot.actions", cors_origins=None)
    if secret:
        app.register_middleware(_caller_checked(secret), "request")
    app.register_middleware(_enter_log_scope, "request")
    app.register_middleware(_leave_log_scope, "response")
    app.add_route(ready, "/ready", methods=["GET"], name="okpay_ready")
    app.add_route(metrics, "/metrics", methods=["GET"], name="okpay_metrics")
    return app


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging("actions")
    create_app().run(settings.action_host, args.port or settings.action_port, workers=1, access_log=False,
                     motd=False)


if __name__ == "__main__":
    main()
