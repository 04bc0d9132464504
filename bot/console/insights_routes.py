"""The supervisor's insights in the console: the analytics page, its figures, and the exports.

Figures and exports read the ticket store through the console's `Database`
and Rasa's `events` table through a read-only engine of their own, opened
on first use (`EventsReader`).
"""
from __future__ import annotations

import asyncio
import tempfile
from typing import Any, Awaitable, Callable, Iterable, List

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.console.app import CONSOLE, ApiError, Console
from bot.conversations.events_table import read_engine
from bot.database.database import StoreUnavailable
from bot.insights import exports
from bot.insights.analytics import insights
from bot.insights.period import BadPeriod, Period, today_in

EXPORT_CONTENT_TYPES = {"csv": "text/csv", "json": "application/json"}
CHUNK_BYTES = 256 * 1024


class EventsReader:
    """Rasa's conversations, read-only; the engine is created when first needed."""

    def __init__(self, url: str):
        self.url = url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = read_engine(self.url)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


EVENTS = web.AppKey("insights_events", EventsReader)


def _period(request: web.Request, console: Console) -> Period:
    tz = console.settings.service_timezone
    try:
        return Period.from_query(dict(request.query), tz, today_in(tz))
    except BadPeriod as error:
        raise ApiError(400, "bad_period") from error


async def _in_thread(request: web.Request, work: Callable[[Any, Any], Any]) -> Any:
    """`work(events_connection, ticket_session)` in a worker thread; a database that is down is a 503."""
    console, reader = request.app[CONSOLE], request.app[EVENTS]

    def run() -> Any:
        from sqlalchemy.exc import OperationalError

        try:
            with reader.engine.connect() as connection, console.database.session() as session:
                return work(connection, session)
        except OperationalError as error:
            raise StoreUnavailable(str(error.orig)) from error

    return await asyncio.get_running_loop().run_in_executor(None, run)


def supervisor_page(template: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A supervisors' page (analytics; the review queue, whose data bot/console/review_routes.py serves);
    the access rule sends other agents back to the queue."""

    async def page(request: web.Request) -> web.Response:
        return request.app[CONSOLE].page(template, agent=request["agent"])

    return page


async def figures(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    period = _period(request, console)
    tz = console.settings.service_timezone
    return web.json_response(await _in_thread(request, lambda connection, session: insights(
        connection, session, period, tz)))


def _write_export(connection: Any, session: Any, kind: str, fmt: str, period: Period, tz: str) -> Any:
    """The whole export in a temporary file (on disk past a few MB), so it streams without holding it in memory."""
    if kind == "tickets":
        rows: Iterable = exports.ticket_rows(session, period, tz)
        fields: List[str] = exports.TICKET_FIELDS
    else:
        rows, fields = exports.conversation_rows(connection, period, tz), exports.CONVERSATION_FIELDS
    pieces = exports.as_csv(rows, fields) if fmt == "csv" else exports.as_json(rows, period, kind)
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024, mode="w+b")
    if fmt == "csv":
        spool.write("\ufeff".encode())  # so Excel reads the Chinese text as UTF-8
    for piece in pieces:
        spool.write(piece.encode("utf-8"))
    spool.seek(0)
    return spool


async def export(request: web.Request) -> web.StreamResponse:
    kind, fmt = request.match_info["kind"], request.match_info["format"]
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise ApiError(404, "unknown_export")
    console = request.app[CONSOLE]
    period = _period(request, console)
    tz = console.settings.service_timezone
    spool = await _in_thread(request, lambda connection, session: _write_export(
        connection, session, kind, fmt, period, tz))
    days = period.days(tz)
    name = f"okpay-{kind}-{days['first_day']}-{days['last_day']}{'-' + period.channel if period.channel else ''}.{fmt}"
    response = web.StreamResponse(headers={
        "Content-Type": f"{EXPORT_CONTENT_TYPES[fmt]}; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    })
    await response.prepare(request)
    try:
        while True:
            chunk = spool.read(CHUNK_BYTES)
            if not chunk:
                break
            await response.write(chunk)
    finally:
        spool.close()
    await response.write_eof()
    return response


def open_events_reader(app: web.Application, settings: Any) -> None:
    """The reader of Rasa's events the insights and the review queue use, on `app` (closed with it)."""
    reader = EventsReader(settings.conversations_url)
    app[EVENTS] = reader

    async def close(app: web.Application) -> None:
        reader.dispose()

    app.on_cleanup.append(close)
