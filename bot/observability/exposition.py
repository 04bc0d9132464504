"""`GET /metrics` of every process: our registry in Prometheus's text format, and who may read it.

The metrics are counts with bounded labels (`bot.observability.metrics`): no
agent, user, conversation or ticket appears in them, so a scraper reads them
without an agent's sign-in or the action server's secret. Where the port is
reachable by more than the scraper (the console's, when agents reach it over
the internet), `OKPAY_METRICS_TOKEN` makes `/metrics` ask for
`Authorization: Bearer <token>` on all three processes (Prometheus:
`authorization: {credentials_file: …}`). The public nginx listener never
forwards `/metrics` (`bot.deploy.nginx`).
"""
from __future__ import annotations

import hmac
from typing import Tuple

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.observability.metrics import REGISTRY

PATH = "/metrics"


def exposition() -> Tuple[bytes, str]:
    """The current values as Prometheus text, and the content type to send them with."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def scraper_allowed(authorization: str | None, token: str) -> bool:
    """Whether a request with this `Authorization` header may read `/metrics` (anyone, when no token is set)."""
    if not token:
        return True
    given = (authorization or "").removeprefix("Bearer ").encode("utf-8")
    return (authorization or "").startswith("Bearer ") and hmac.compare_digest(given, token.encode("utf-8"))
