"""Insights benchmark: how long the supervisor's analytics take for a month of conversations.

Generates `--conversations` conversations a month (guides solved, left and
ending in tickets, FAQ answers, fallbacks; tests/insights/generated.py) for
`--months` months ending with October 2026, into a throw-away SQLite file and
a throw-away PostgreSQL schema, events and tickets in the same database as in
production, then times `bot.insights.analytics.insights` for October (all
channels, and one channel): first on Rasa's table as Rasa makes it, then after
`prepare_events_table` (what the servers' start does: the timestamp index).
Prints rows stored, the generation time and the best and median of `--repeat` runs.

    .venv/bin/python -m benchmarks.insights_benchmark [--conversations 10000] [--months 1] [--repeat 5]
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

from bot.conversations.events_table import events, prepare_events_table, read_engine
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.insights.analytics import insights
from bot.insights.period import Period
from tests.insights.generated import TZ, Script, utc, write
from tests.postgres import postgres_schema
from tests.ticket_factories import make_agent

MIX = ([Script("solved", "payment_failed", steps=2)] * 30 + [Script("left", "account_locked", steps=1)] * 10
       + [Script("ticket", "withdraw", steps=3, rating=r) for r in (5, 4, 3, 5, 1)] * 2
       + [Script("left", "payment_failed", steps=3)] * 10 + [Script("faq")] * 35 + [Script("fallback")] * 5)


def scripts(count: int) -> List[Script]:
    return [MIX[i % len(MIX)] for i in range(count)]


def month_start(months_before: int):
    """The first of the month `months_before` months before October 2026."""
    index = 2026 * 12 + 9 - months_before
    return utc(index // 12, index % 12 + 1, 1)


def time_figures(url: str, database: Database, args: argparse.Namespace, label: str) -> None:
    reader = read_engine(url)
    for channel in (None, "wechat"):
        period = Period.from_days(date(2026, 10, 1), date(2026, 10, 31), TZ, channel)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            with reader.connect() as connection, database.session() as session:
                result = insights(connection, session, period, TZ)
            times.append(time.perf_counter() - start)
        print(f"  October, {channel or 'all channels'}, {label}: best {min(times) * 1000:.0f} ms, "
              f"median {statistics.median(times) * 1000:.0f} ms  "
              f"({result['conversations']} conversations, {result['messages']['user']} user messages, "
              f"{sum(g['started'] for g in result['guides'])} guide runs, {result['tickets']['total']} tickets)")
    reader.dispose()


def measure(url: str, label: str, args: argparse.Namespace) -> None:
    upgrade(url)
    database = Database(url)
    began = time.perf_counter()
    with database.session() as session:
        agent = make_agent(session)
        for before in range(args.months):
            write(session, scripts(args.conversations), month_start(before), days=30, agent=agent,
                  prefix=f"m{before}")
    generated = time.perf_counter() - began
    reader = read_engine(url)
    with reader.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(events)).scalar_one()
    reader.dispose()
    print(f"\n{label}: {args.conversations} conversations a month for {args.months} month(s), "
          f"{rows} events stored in {generated:.1f} s")
    time_figures(url, database, args, "Rasa's table")
    prepare_events_table(url)
    time_figures(url, database, args, "prepared (timestamp index)")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=1, help="months of history; figures are for the last")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        measure(f"sqlite:///{Path(home) / 'insights.db'}", "SQLite", args)
    with postgres_schema("okpay_bench") as url:
        measure(url, "PostgreSQL", args)

if __name__ == "__main__":
    main()
