"""What operators' tools call on the console: `GET /ready` (probes) and `GET /metrics` (Prometheus).

`/health` (the process runs) is the console's own handler; `/ready` also
needs the ticket database to answer, as the action server's does. Both, and
`/metrics`, are public routes (`bot.console.routes`): a probe or a scraper
has no agent's sign-in, and the metrics hold counts only, no agent or user
(`bot.observability.metrics`); `OKPAY_METRICS_TOKEN` closes `/metrics` to
callers without it (`bot.observability.exposition`).

The queue's length is read when Prometheus scrapes, with one count query at
most every `QUEUE_REFRESH_S` seconds however many scrapers ask.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, Dict

from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.console.app import CONSOLE, Console
from bot.observability import metrics
from bot.observability.exposition import exposition, scraper_allowed
from bot.tickets.models import QUEUED, QUEUES, Ticket

logger = logging.getLogger(__name__)

#: Seconds the queue's length read for one scrape serves the next ones.
QUEUE_REFRESH_S = 5.0
#: Seconds `/ready` waits for the ticket database.
READY_TIMEOUT_S = 3.0


def waiting_per_queue(session: Session) -> Dict[str, int]:
    """How many tickets wait in each queue: one grouped count."""
    counts = dict(session.execute(
        select(Ticket.queue, func.count()).where(Ticket.status == QUEUED).group_by(Ticket.queue)).all())
    return {queue: int(counts.get(queue, 0)) for queue in QUEUES}


class QueueLengths:
    """Keeps `okpay_queue_length` current for scrapes, reading the database at most every `refresh_s` seconds."""

    def __init__(self, console: Console, refresh_s: float = QUEUE_REFRESH_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console, self.refresh_s, self.clock = console, refresh_s, clock
        self.reads = 0
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Reads the lengths if the last read is older than `refresh_s`; a failed read leaves the last values."""
        async with self._lock:  # scrapes arriving together wait for one read
            if self._read_at is not None and self.clock() - self._read_at < self.refresh_s:
                return
            try:
                counts = await self.console.db(waiting_per_queue)
            except Exception as error:  # noqa: BLE001 - a scrape still answers; /ready says the database is down
                logger.warning("metrics: could not read the queue's length (%s)", type(error).__name__)
                return
            self.reads += 1
            self._read_at = self.clock()
            for queue, count in counts.items():
                metrics.QUEUE_LENGTH.labels(queue).set(count)


QUEUE_LENGTHS = web.AppKey("queue_lengths", QueueLengths)


async def metrics_page(request: web.Request) -> web.Response:
    """This process's metrics in Prometheus's text format (401 without the token, when one is set)."""
    console = request.app[CONSOLE]
    if not scraper_allowed(request.headers.get("Authorization"), console.settings.metrics_token):
        return web.json_response({"error": "not_allowed"}, status=401)
    await request.app[QUEUE_LENGTHS].refresh()
    body, content_type = exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = content_type
    return response


def _ping(session: Session) -> None:
    session.execute(text("SELECT 1"))


async def ready(request: web.Request) -> web.Response:
    """200 once the ticket database answers, 503 with the failure's type otherwise."""
    try:
        await asyncio.wait_for(request.app[CONSOLE].db(_ping), timeout=READY_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return web.json_response({"status": "not_ready", "checks": {"ticket_store": type(error).__name__}}, status=503)
    return web.json_response({"status": "ready", "checks": {"ticket_store": "ok"}})
