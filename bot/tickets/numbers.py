"""Ticket numbers a person can read out: OK-YYYYMMDD-NNNN.

The date is the service time zone's, so the number matches the day the user
lives in. The sequence comes from one counter row per day, incremented inside
the transaction that inserts the ticket: on PostgreSQL the row lock, on SQLite
the `BEGIN IMMEDIATE` write lock, makes two processes that open a ticket at the
same instant wait for each other instead of taking the same number.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.tickets.models import TicketCounter

PREFIX = "OK"


def format_number(day: str, sequence: int) -> str:
    return f"{PREFIX}-{day}-{sequence:04d}"


def service_day(now: datetime, timezone: str) -> str:
    return now.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")


def next_number(session: Session, now: datetime, timezone: str) -> str:
    """Takes the next number of `now`'s day. Call inside the inserting transaction."""
    day = service_day(now, timezone)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(TicketCounter).values(day=day, last_number=0).on_conflict_do_nothing())
    session.execute(
        update(TicketCounter).where(TicketCounter.day == day).values(last_number=TicketCounter.last_number + 1)
    )
    sequence = session.execute(select(TicketCounter.last_number).where(TicketCounter.day == day)).scalar_one()
    return format_number(day, sequence)
