"""Insights benchmark: how long the supervisor's analytics take for a month of conversations.

Generates `--conversations` conversations over 30 days (guides solved, left and
ending in tickets, FAQ answers, fallbacks; tests/insights/generated.py) into a
throw-away SQLite file and a throw-away PostgreSQL schema, events and tickets
in the same database as in production, then times `bot.insights.analytics.insights`
for the month (all channels, and one channel). Prints rows stored, the
generation time and the best and median of `--repeat` runs.

    .venv/bin/python -m benchmarks.insights_benchmark [--conversations 10000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import List

from sqlalchemy import func, select

from bot.insights.analytics import insights
from bot.insights.events_table import events, read_engine
from bot.insights.period import Period
from bot.tickets.database import Database
from bot.tickets.migrate import upgrade
from tests.insights.generated import TZ, Script, utc, write
from tests.postgres import postgres_schema
from tests.ticket_factories import make_agent

MIX = ([Script("solved", "payment_failed", steps=2)] * 30 + [Script("left", "account_locked", steps=1)] * 10
       + [Script("ticket", "withdraw", steps=3, rating=r) for r in (5, 4, 3, 5, 1)] * 2
       + [Script("left", "payment_failed", steps=3)] * 10 + [Script("faq")] * 35 + [Script("fallback")] * 5)


def scripts(count: int) -> List[Script]:
    return [MIX[i % len(MIX)] for i in range(count)]


def measure(url: str, label: str, args: argparse.Namespace) -> None:
    upgrade(url)
    database = Database(url)
    began = time.perf_counter()
    with database.session() as session:
        write(session, scripts(args.conversations), utc(2026, 10, 1), days=30, agent=make_agent(session))
    generated = time.perf_counter() - began
    reader = read_engine(url)
    with reader.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(events)).scalar_one()
    print(f"\n{label}: {args.conversations} conversations, {rows} events stored in {generated:.1f} s")
    for channel in (None, "wechat"):
        period = Period.from_days(date(2026, 10, 1), date(2026, 10, 31), TZ, channel)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            with reader.connect() as connection, database.session() as session:
                result = insights(connection, session, period, TZ)
            times.append(time.perf_counter() - start)
        print(f"  month, {channel or 'all channels'}: best {min(times) * 1000:.0f} ms, "
              f"median {statistics.median(times) * 1000:.0f} ms  "
              f"({result['conversations']} conversations, {result['messages']['user']} user messages, "
              f"{sum(g['started'] for g in result['guides'])} guide runs, {result['tickets']['total']} tickets)")
    reader.dispose()
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        measure(f"sqlite:///{Path(home) / 'insights.db'}", "SQLite", args)
    with postgres_schema("okpay_bench") as url:
        measure(url, "PostgreSQL", args)

if __name__ == "__main__":
    main()
