"""Ticket numbers stay unique when several processes open tickets at the same instant."""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select

from bot.database.database import Database
from bot.tickets.models import Ticket
from bot.tickets.numbers import format_number, service_day
from tests.ticket_factories import make_ticket

PROCESSES, TICKETS_EACH = 4, 10


def _open_tickets(url: str, start, worker: int) -> None:
    database = Database(url)
    start.wait()  # all processes begin together
    for n in range(TICKETS_EACH):
        with database.session() as session:
            make_ticket(session, conversation_id=f"w{worker}-{n}")
    database.dispose()


@pytest.mark.parametrize("url_fixture", ["sqlite", "postgresql"])
def test_concurrent_processes_never_share_a_number(url_fixture, request, tmp_path):
    from bot.database.migrate import upgrade

    url = f"sqlite:///{tmp_path / 't.db'}" if url_fixture == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_open_tickets, args=(url, start, w)) for w in range(PROCESSES)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    database = Database(url)
    with database.session() as session:
        numbers = [t.number for t in session.execute(select(Ticket)).scalars()]
    database.dispose()
    total = PROCESSES * TICKETS_EACH
    assert len(numbers) == total and len(set(numbers)) == total
    by_day: dict = {}
    for number in numbers:  # a run across midnight continues on the next day from 0001
        _, day, serial = number.split("-")
        by_day.setdefault(day, []).append(int(serial))
    for serials in by_day.values():
        assert sorted(serials) == list(range(1, len(serials) + 1))


def test_format_pads_to_four_digits_and_grows_beyond():
    assert format_number("20261121", 7) == "OK-20261121-0007"
    assert format_number("20261121", 12345) == "OK-20261121-12345"


def test_the_day_is_the_service_time_zone_day():
    from datetime import datetime, timezone

    late_utc = datetime(2026, 11, 21, 20, 0, tzinfo=timezone.utc)
    assert service_day(late_utc, "Asia/Shanghai") == "20261122"
    assert service_day(late_utc, "UTC") == "20261121"
