"""The review queue from the command line.

    python -m bot.insights.review collect [--from 2026-11-01] [--to 2026-11-07] [--channel wechat] [--threshold 0.6]
    python -m bot.insights.review export [--out bot/data/nlu/review_corrections.yml]

`collect` adds the period's messages to review (default: the last 7 days, in
the service time zone); `export` writes every corrected message as Rasa NLU
training data and prints what it wrote and what it left out. Neither retrains:
`python -m bot.insights.retrain_report` shows what the corrections would do.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import List

from bot.conversations.events_table import read_engine
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.insights import review_export, review_queue
from bot.insights.period import CHANNELS, BadPeriod, Period, today_in
from bot.settings import get_settings

DEFAULT_DAYS = 7


def _collect(args: argparse.Namespace) -> int:
    settings = get_settings()
    last = args.to or today_in(settings.service_timezone)
    first = args.from_ or last - timedelta(days=DEFAULT_DAYS - 1)
    try:
        period = Period.from_days(first, last, settings.service_timezone, args.channel)
    except BadPeriod as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    threshold = settings.review_confidence_threshold if args.threshold is None else args.threshold
    database = Database(settings.ticket_database_url)
    upgrade(database.url)
    engine = read_engine(settings.conversations_url)
    try:
        with database.session() as session:
            counts = review_queue.collect(engine, session, period, threshold)
    except review_queue.ConversationsUnavailable as error:
        print(f"error: the conversations cannot be read ({error})", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
        database.dispose()
    total = sum(counts.values())
    details = ", ".join(f"{reason} {n}" for reason, n in counts.items())
    print(f"collected {total} new messages to review from {first} to {last}"
          f"{' on ' + args.channel if args.channel else ''} (confidence below {threshold}): {details}")
    return 0


def _export(args: argparse.Namespace) -> int:
    settings = get_settings()
    database = Database(settings.ticket_database_url)
    upgrade(database.url)
    out = Path(args.out).resolve() if args.out else review_export.DEFAULT_OUT
    try:
        with database.session() as session:
            export = review_export.export_corrections(review_queue.corrected_items(session), out)
    finally:
        database.dispose()
    print("\n".join(export.summary(out)))
    return 0


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.insights.review", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    collect = commands.add_parser("collect", help="add the period's messages to review")
    collect.add_argument("--from", dest="from_", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    collect.add_argument("--to", type=date.fromisoformat, help="last day, YYYY-MM-DD (default: today)")
    collect.add_argument("--channel", choices=CHANNELS)
    collect.add_argument("--threshold", type=float, help="confidence below which a message is collected")
    export = commands.add_parser("export", help="write the corrections as Rasa NLU training data")
    export.add_argument("--out", help=f"default: {review_export.DEFAULT_OUT}")
    args = parser.parse_args(argv)
    return _collect(args) if args.command == "collect" else _export(args)


if __name__ == "__main__":
    from bot.logs.setup import configure_logging

    configure_logging("review", sys.stderr)  # stdout is the command's own output (docs/logging.md)
    sys.exit(main())
