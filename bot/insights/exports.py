"""Tickets and conversations of a period as CSV or JSON, with personal data masked.

Secrets never reach the stores (bot/privacy); contacts do, and leave here
masked as agents who do not handle a conversation see them: the ticket's
phone and e-mail, and any phone number or e-mail address in a message, a
description or a comment. Rows come out one by one, so a month of messages
streams instead of being built in memory. CSV cells that a spreadsheet would
run as a formula (a user's "=HYPERLINK(…)") are written as text
(`bot.insights.csv_cells`); JSON keeps the texts as they are.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from bot.console.serialize import step_labels
from bot.conversations.events_table import events, in_period
from bot.events import external_intent
from bot.insights.analytics import ticket_filter
from bot.insights.csv_cells import safe_cell
from bot.insights.period import Period, channel_of
from bot.privacy import mask_contact, mask_contacts
from bot.tickets.models import Ticket

TICKET_FIELDS = [
    "number", "created_at", "channel", "category", "priority", "status", "queue", "contact_phone",
    "contact_email", "txn_time", "amount", "description", "steps_tried", "handoff_reason", "agent",
    "queued_at", "claimed_at", "resolved_at", "rating", "rating_comment",
]
CONVERSATION_FIELDS = ["conversation_id", "channel", "time", "speaker", "text", "intent", "confidence", "agent"]
FORMATS = ("csv", "json")
KINDS = ("tickets", "conversations")


def _local(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def ticket_rows(session: Session, period: Period, tz: str) -> Iterator[Dict[str, Any]]:
    """The period's tickets (by creation time), oldest first, contacts masked."""
    zone = ZoneInfo(tz)
    tickets = session.execute(
        select(Ticket).where(ticket_filter(period)).order_by(Ticket.created_at, Ticket.id)
        .options(selectinload(Ticket.assigned_agent), selectinload(Ticket.rating))
    ).scalars()
    for ticket in tickets:
        agent = ticket.assigned_agent
        yield {
            "number": ticket.number, "created_at": _local(ticket.created_at, zone), "channel": ticket.channel,
            "category": ticket.category, "priority": ticket.priority, "status": ticket.status,
            "queue": ticket.queue, "contact_phone": mask_contact(ticket.contact_phone),
            "contact_email": mask_contact(ticket.contact_email), "txn_time": ticket.txn_time,
            "amount": str(ticket.amount) if ticket.amount is not None else None,
            "description": mask_contacts(ticket.description or "") or None,
            "steps_tried": [step["label"] for step in step_labels(list(ticket.steps_tried or []))],
            "handoff_reason": ticket.handoff_reason,
            "agent": f"{agent.display_name} ({agent.agent_number})" if agent else None,
            "queued_at": _local(ticket.queued_at, zone), "claimed_at": _local(ticket.claimed_at, zone),
            "resolved_at": _local(ticket.resolved_at, zone),
            "rating": ticket.rating.score if ticket.rating else None,
            "rating_comment": mask_contacts(ticket.rating.comment or "") or None if ticket.rating else None,
        }


def conversation_rows(connection: Connection, period: Period, tz: str) -> Iterator[Dict[str, Any]]:
    """Every message of the period (user, bot, agent), by conversation and in order, contacts masked."""
    zone = ZoneInfo(tz)
    query = (select(events.c.sender_id, events.c.timestamp, events.c.data)
             .where(in_period(period), events.c.type_name.in_(("user", "bot")))
             .order_by(events.c.sender_id, events.c.id))
    for sender, timestamp, data in connection.execution_options(stream_results=True).execute(query):
        event = json.loads(data)
        if event.get("event") == "user":
            if external_intent(event) is not None:
                continue
            intent = (event.get("parse_data") or {}).get("intent") or {}
            speaker, agent = "user", None
            name, confidence = intent.get("name"), intent.get("confidence")
        else:
            who = (event.get("metadata") or {}).get("agent")
            speaker = "agent" if who else "bot"
            agent = f"{who.get('name')} ({who.get('number')})" if who else None
            name = confidence = None
        yield {
            "conversation_id": sender, "channel": channel_of(sender),
            "time": datetime.fromtimestamp(timestamp, zone).isoformat(timespec="seconds") if timestamp else None,
            "speaker": speaker, "text": mask_contacts(event.get("text") or ""), "intent": name,
            "confidence": round(confidence, 4) if isinstance(confidence, (int, float)) else None, "agent": agent,
        }


def as_csv(rows: Iterable[Dict[str, Any]], fields: List[str]) -> Iterator[str]:
    """CSV text in pieces: a header, then a line per row (lists joined with '; ').

    Every cell is one a spreadsheet shows as text, not runs as a formula (`csv_cells.safe_cell`).
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell("; ".join(value) if isinstance(value, list) else value)
                         for key, value in row.items()})
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def as_json(rows: Iterable[Dict[str, Any]], period: Period, kind: str) -> Iterator[str]:
    """A JSON object in pieces: the period, then the rows as a list under `kind`."""
    head = {"start": period.start.isoformat(), "end": period.end.isoformat(), "channel": period.channel}
    yield '{"period": ' + json.dumps(head) + ', "' + kind + '": ['
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]}\n"
