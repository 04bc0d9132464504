"""`GET /health`, `/ready` and `/metrics` on the Rasa server, and the Rasa process's start-up settings: not a
channel users write to.

`GET /health` (liveness, as on the other processes; Rasa's own `GET /` says
the same) answers while the process runs, whatever its stores do. A load
balancer or an orchestrator should send traffic to a replica only once
`/ready` answers 200 (`bot.runtime.readiness`); it answers 503 with what is
missing otherwise. `GET /metrics` is this process's Prometheus metrics
(`bot.observability`).

A route on an input channel's blueprint is Rasa's plug-in point for routes,
so `rasa run` with our credentials.yml serves it too. Rasa mounts a channel's
blueprint at `/webhooks/<url_prefix>`; this channel's prefix is `/`, which
puts its route at the server's root. Its start-up listener makes the tracker
store fail loudly (`bot.runtime.tracker_store`) once Rasa has loaded the
agent, so the HTTP API does too, before any message arrives.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw

from bot.observability.exposition import exposition, scraper_allowed
from bot.runtime.readiness import readiness
from bot.runtime.tracker_store import make_loud
from bot.settings import get_settings

#: Set by the public load balancer (bot/deploy/nginx.py) on `/ready`: the internet learns ready or not,
#: never which store failed or with which error.
PUBLIC_HEADER = "X-OKPay-Public"


class ServiceInput(InputChannel):
    """`/health`, `/ready`, `/metrics`, and the settings the Rasa process takes once its agent is loaded."""

    @classmethod
    def name(cls) -> str:
        return "okpay_service"

    def url_prefix(self) -> str:
        return "/"  # urljoin("/webhooks/", "/") is "/": the routes sit at the root

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("okpay_service", url_prefix="/")

        @blueprint.route("/health", methods=["GET"], name="okpay_health")
        async def health(_: Request) -> HTTPResponse:
            return json({"status": "ok"})

        @blueprint.route("/metrics", methods=["GET"], name="okpay_metrics")
        async def metrics(request: Request) -> HTTPResponse:
            if not scraper_allowed(request.headers.get("Authorization"), get_settings().metrics_token):
                return json({"error": "not_allowed"}, status=401)
            body, content_type = exposition()
            return raw(body, content_type=content_type)

        @blueprint.route("/ready", methods=["GET"], name="okpay_ready")
        async def ready(request: Request) -> HTTPResponse:
            checks = await readiness(getattr(request.app.ctx, "agent", None))
            ok = all(state == "ok" for state in checks.values())
            body = {"status": "ready" if ok else "not_ready"}
            if not request.headers.get(PUBLIC_HEADER):
                body["checks"] = checks
            return json(body, status=200 if ok else 503)

        @blueprint.listener("after_server_start")
        async def loud_tracker_store(app: Sanic, *_: Any) -> None:
            agent = getattr(app.ctx, "agent", None)
            if agent is not None:
                make_loud(agent)

        return blueprint
