"""Guide runs read back from the tracker's events: which guide, how far, and how it ended.

A run starts when the `guide` slot is set while no guide was open (or to
another guide); each `guide_step` slot is a step reached; the bot's
`utter_guide_solved*` ends it solved by the bot and `utter_guide_exhausted`
with every step tried (the offer of a person). A run whose conversation got a
ticket before the next run started ended in a ticket; the rest were left at
the last step reached (where users give up).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from bot.conversations.events_table import events, in_period, utter_action
from bot.insights.period import Period

SOLVED_RESPONSES = ("utter_guide_solved", "utter_guide_solved_procedure")
EXHAUSTED_RESPONSE = "utter_guide_exhausted"
SOLVED, TICKET, EXHAUSTED, LEFT = "solved", "ticket", "exhausted", "left"


@dataclass
class GuideRun:
    conversation_id: str
    guide: str
    started: float
    step: int = 0
    outcome: str = LEFT
    #: When the next run of the conversation started (a ticket after it belongs to that one).
    until: float = float("inf")
    solved_at_step: int | None = field(default=None)


def _rows(connection: Connection, period: Period) -> Iterable[tuple]:
    """Only the rows that tell about guides; JSON is parsed for those alone."""
    guide_bot = or_(*[events.c.data.like(f'%"{name}"%') for name in (*SOLVED_RESPONSES, EXHAUSTED_RESPONSE)])
    query = (
        select(events.c.sender_id, events.c.type_name, events.c.action_name, events.c.timestamp, events.c.data)
        .where(in_period(period))
        .where(or_(
            and_(events.c.type_name == "slot", events.c.action_name.in_(("guide", "guide_step"))),
            and_(events.c.type_name == "bot", guide_bot),
        ))
        .order_by(events.c.sender_id, events.c.id)
    )
    return connection.execute(query)


def guide_runs(connection: Connection, period: Period) -> List[GuideRun]:
    """Every guide run that started in the period, in the order of their conversations."""
    runs: List[GuideRun] = []
    by_conversation: Dict[str, List[GuideRun]] = {}
    current: GuideRun | None = None
    sender = None
    for sender_id, type_name, action_name, timestamp, data in _rows(connection, period):
        if sender_id != sender:
            current, sender = None, sender_id
        if type_name == "slot" and action_name == "guide":
            value = json.loads(data).get("value")
            if value is None:
                current = None
            elif current is None or current.guide != value:
                if by_conversation.get(sender_id):
                    by_conversation[sender_id][-1].until = timestamp
                current = GuideRun(sender_id, str(value), timestamp)
                runs.append(current)
                by_conversation.setdefault(sender_id, []).append(current)
        elif type_name == "slot" and current is not None:
            value = json.loads(data).get("value")
            if isinstance(value, (int, float)):
                current.step = max(current.step, int(value))
        elif type_name == "bot":
            latest = current or (by_conversation.get(sender_id) or [None])[-1]
            if latest is None or latest.outcome != LEFT:
                continue
            utter = utter_action(data)
            if utter in SOLVED_RESPONSES:
                latest.outcome, latest.solved_at_step = SOLVED, latest.step
            elif utter == EXHAUSTED_RESPONSE:
                latest.outcome = EXHAUSTED
    return runs


def mark_tickets(runs: Sequence[GuideRun], tickets: Dict[str, List[float]]) -> None:
    """Runs not solved by the bot whose conversation got a ticket (epoch seconds) before the next run."""
    for run in runs:
        if run.outcome == SOLVED:
            continue
        if any(run.started <= opened < run.until for opened in tickets.get(run.conversation_id, ())):
            run.outcome = TICKET
