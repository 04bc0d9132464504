"""Retention: what is older than `OKPAY_RETENTION_DAYS` leaves the stores (run it once a day).

    python -m bot.privacy.retention                 # with OKPAY_RETENTION_DAYS (default 180; 0 keeps everything)
    python -m bot.privacy.retention --days 90       # another limit, this run only
    python -m bot.privacy.retention --dry-run       # only say how much would go

Removed: the events of Rasa's tracker store older than the limit (messages,
answers, slots: a conversation is removed event by event as it ages), the
event stream's entries as old, the review queue's messages as old, and the
personal fields of tickets nobody changed since the limit
(`bot.tickets.erasure`: the ticket row, its category, times, agent and rating
score stay for the figures; one still open after all that time is cancelled).
The tickets of one conversation anonymised in one run share a pseudonym, so
"conversations handed over" still counts them once.

Deletes go in batches (`--batch` rows, each its own short transaction, by
the timestamp index `bot.conversations.events_table` creates), so Rasa's
turns never wait long for the events table. Running it again removes nothing
more: it is safe to repeat, and to interrupt. Rasa replicas notice removed
rows of a conversation they keep in memory (`bot.runtime.cached_tracker_store`).
The console's figures for periods before the limit then count tickets and
ratings only (their conversations are gone).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List

from sqlalchemy import func, select

from bot.conversations.events_table import events
from bot.database.database import Database
from bot.database.schema import utcnow
from bot.database.sqlite import sqlite_missing
from bot.insights.review_items import ReviewItem
from bot.privacy import stores
from bot.settings import Settings, get_settings
from bot.tickets.erasure import ERASED_PREFIX, Erased, erase_tickets, pseudonym
from bot.tickets.models import Ticket

#: Rows per delete (one short transaction each).
BATCH = 5000
#: Tickets anonymised per transaction.
TICKET_BATCH = 500


@dataclass
class Retained:
    """What one run removed (or, dry, would remove), per store."""

    days: int = 0
    before: str = ""
    tracker_events: int = 0
    stream_entries: int = 0
    review_items: int = 0
    tickets: Erased = field(default_factory=Erased)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def remove_old_events(settings: Settings, before: datetime, batch: int = BATCH, dry_run: bool = False) -> int:
    """Deletes the tracker store's events older than `before`, `batch` rows per transaction; how many."""
    if sqlite_missing(settings.conversations_url):
        return 0
    old = events.c.timestamp < before.timestamp()
    engine = stores.tracker_engine(settings)
    try:
        if dry_run:
            with engine.connect() as connection:
                return connection.execute(select(func.count()).select_from(events).where(old)).scalar() or 0
        return stores.delete_in_batches(engine.begin, events, old, batch)
    finally:
        engine.dispose()


def _closed_before(before: datetime) -> Any:
    """Tickets nobody changed since `before` (whatever their status), not anonymised yet."""
    return (Ticket.updated_at < before) & ~Ticket.conversation_id.startswith(ERASED_PREFIX)


def erase_old_tickets(database: Database, before: datetime, batch: int = TICKET_BATCH, dry_run: bool = False
                      ) -> tuple[Erased, int]:
    """Anonymises tickets unchanged since `before` and deletes review items as old; what was taken out."""
    erased, reviews = Erased(), 0
    with database.session() as session:
        if dry_run:
            erased.tickets = session.execute(select(func.count()).select_from(Ticket)
                                             .where(_closed_before(before))).scalar() or 0
            reviews = session.execute(select(func.count()).select_from(ReviewItem)
                                      .where(ReviewItem.message_at < before)).scalar() or 0
            return erased, reviews
    while True:
        with database.session() as session:
            tickets = list(session.execute(select(Ticket).where(_closed_before(before)).order_by(Ticket.id)
                                           .limit(batch)).scalars())
            by_conversation: Dict[str, List[Ticket]] = defaultdict(list)
            for ticket in tickets:
                by_conversation[ticket.conversation_id].append(ticket)
            for group in by_conversation.values():
                erased.add(erase_tickets(session, group, pseudonym()))
        if len(tickets) < batch:
            break
    reviews = stores.delete_in_batches(database.session, ReviewItem.__table__, ReviewItem.message_at < before, BATCH)
    return erased, reviews


def run(settings: Settings, days: int | None = None, now: datetime | None = None, batch: int = BATCH,
        dry_run: bool = False) -> Retained:
    """One retention run with `days` (default: the setting); nothing when it is 0."""
    days = settings.retention_days if days is None else days
    if days <= 0:
        return Retained(days=0)
    before = (now or utcnow()) - timedelta(days=days)
    retained = Retained(days=days, before=before.isoformat(timespec="seconds"))
    retained.tracker_events = remove_old_events(settings, before, batch, dry_run)
    if not dry_run:
        retained.stream_entries = stores.remove_stream_entries_before(settings, before.timestamp())
    if not sqlite_missing(settings.ticket_database_url):
        database = Database(settings.ticket_database_url)
        try:
            retained.tickets, retained.review_items = erase_old_tickets(database, before, dry_run=dry_run)
        finally:
            database.dispose()
    return retained


def report_lines(retained: Retained, dry_run: bool = False) -> List[str]:
    if not retained.days:
        return ["retention is off (OKPAY_RETENTION_DAYS=0): nothing removed"]
    verb = "would be removed" if dry_run else "removed"
    t = retained.tickets
    return [
        f"older than {retained.days} days (before {retained.before} UTC):",
        f"tracker store: {retained.tracker_events} events {verb}",
        f"event stream: {retained.stream_entries} entries {verb}" if not dry_run else "event stream: not counted",
        f"tickets unchanged since then: {t.tickets} anonymised" + (
            "" if dry_run else f" ({t.cancelled} cancelled; {t.rating_comments} rating comments, {t.notes} agent notes, "
                               f"{t.handoff_steps} conversation steps removed)"),
        f"review queue: {retained.review_items} messages {verb}",
    ]


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Remove conversations and personal data older than the retention.")
    parser.add_argument("--days", type=int, help="this run's limit in days (default: OKPAY_RETENTION_DAYS)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"rows per delete (default {BATCH})")
    parser.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    if args.days is not None and args.days < 0 or args.batch < 1:
        parser.error("--days must be 0 or more, --batch 1 or more")
    retained = run(get_settings(), args.days, batch=args.batch, dry_run=args.dry_run)
    print(json.dumps(retained.as_dict()) if args.json else "\n".join(report_lines(retained, args.dry_run)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
