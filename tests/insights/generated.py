"""Generated conversations and tickets whose figures are known in advance.

Events are real Rasa events, stored as rows the way Rasa's SQLTrackerStore
writes them (`rows_of`), so the analytics read what production would hold.
Each conversation follows one `Script`; `expected` tells what the figures
must be for a set of scripts. Used by tests/insights and benchmarks/insights_benchmark.py.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, Iterator, List, Sequence

from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.conversations.events_table import events as events_table
from bot.conversations.events_table import metadata
from bot.tickets import store
from bot.tickets.models import Rating, Ticket

TZ = "Asia/Shanghai"


@dataclass(frozen=True)
class Script:
    """What happens in one conversation."""

    kind: str  # "solved", "ticket", "left", "faq", "fallback"
    guide: str = "payment_failed"
    steps: int = 1  # steps reached in the guide
    rating: int | None = None  # ticket conversations: the user's score after resolve


def user(text: str, intent: str, confidence: float = 0.95, message_id: str | None = None) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence},
                       parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [],
                                   "text": text}, message_id=message_id)


def bot(response: str, text: str = "…") -> List[Event]:
    return [ActionExecuted(response), BotUttered(text, metadata={"utter_action": response})]


def guide_step(guide: str, step: int) -> List[Event]:
    return [ActionExecuted("action_guide_advance" if step > 1 else "action_guide_start"),
            BotUttered("…", metadata={"utter_action": f"utter_guide_{guide}_{step}"}),
            SlotSet("guide", guide), SlotSet("guide_step", float(step)), SlotSet("guide_active", True)]


def cleared() -> List[Event]:
    return [SlotSet("guide", None), SlotSet("guide_step", None), SlotSet("guide_active", False)]


def conversation_events(script: Script) -> List[Event]:
    """The events of one conversation following `script` (timestamps set later)."""
    out: List[Event] = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    if script.kind == "faq":
        return out + [user("手续费多少", "faq")] + bot("utter_faq") + [ActionExecuted("action_listen")]
    if script.kind == "fallback":
        return out + [user("啊啊啊", "nlu_fallback", 0.2)] + bot("utter_default") + [ActionExecuted("action_listen")]
    opening = {"payment_failed": "付款失败了", "withdraw": "提现怎么操作", "account_locked": "账户被锁了"}[script.guide]
    out += [user(opening, script.guide)]
    for step in range(1, script.steps + 1):
        if step > 1:
            out += [user("没解决", "deny")]
        out += guide_step(script.guide, step) + [ActionExecuted("action_listen")]
    if script.kind == "solved":
        out += [user("好了", "affirm")] + bot("utter_guide_solved") + cleared() + [ActionExecuted("action_listen")]
    elif script.kind == "ticket":
        out += [user("没解决", "deny")] + bot("utter_guide_exhausted") + cleared()
        out += [ActionExecuted("action_listen"), user("转人工", "human_handoff")] + bot("utter_ticket_opened")
    return out


def rows_of(sender_id: str, events: Iterable[Event]) -> Iterator[Dict[str, Any]]:
    """Rows as rasa.core.tracker_store.SQLTrackerStore.save writes them."""
    for event in events:
        data = event.as_dict()
        yield {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
               "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
               "action_name": data.get("name"), "data": json.dumps(data)}


def sender_for(index: int, channels: Sequence[str], prefix: str = "gen") -> str:
    channel = channels[index % len(channels)]
    return f"{channel}:{prefix}-{index}" if channel != "rest" else f"{prefix}-{index}"


def ticket_channel(sender: str) -> str:
    return sender.split(":", 1)[0] if ":" in sender else "rest"


def write(session: Session, scripts: Sequence[Script], start: datetime, days: int,
          channels: Sequence[str] = ("widget", "wechat", "telegram", "rest"), agent: Agent | None = None,
          seed: int = 7, prefix: str = "gen") -> Dict[str, datetime]:
    """Stores the conversations (spread over `days` from `start`) and their tickets; returns each one's start."""
    metadata.create_all(session.connection())
    shuffle = random.Random(seed)
    began: Dict[str, datetime] = {}
    batch: List[Dict[str, Any]] = []
    for index, script in enumerate(scripts):
        sender = sender_for(index, channels, prefix)
        at = start + timedelta(seconds=shuffle.uniform(0, days * 86400 - 3600))
        began[sender] = at
        events = conversation_events(script)
        for offset, event in enumerate(events):
            event.timestamp = at.timestamp() + offset
        batch.extend(rows_of(sender, events))
        if script.kind == "ticket":
            _ticket(session, sender, script, at + timedelta(seconds=len(events)), agent)
        if len(batch) > 5000:
            _insert(session, batch)
            batch = []
    _insert(session, batch)
    return began


def _insert(session: Session, rows: List[Dict[str, Any]]) -> None:
    """In the session's transaction (SQLite allows one writer)."""
    if rows:
        session.execute(events_table.insert(), rows)


def _ticket(session: Session, sender: str, script: Script, opened: datetime, agent: Agent | None) -> Ticket:
    """A live ticket: queued, claimed after 4 minutes, resolved 10 minutes later, rated if the script says so."""
    draft = store.TicketDraft(conversation_id=sender, channel=ticket_channel(sender), category=script.guide)
    ticket = store.open_ticket(session, draft, TZ, opened)
    ticket.queued_at = opened
    ticket.status = "queued"
    if agent is not None:
        ticket.assigned_agent_id = agent.id
        ticket.claimed_at = opened + timedelta(minutes=4)
        ticket.resolved_at = ticket.claimed_at + timedelta(minutes=10)
        ticket.status = "resolved"
        if script.rating is not None:
            session.add(Rating(ticket=ticket, score=script.rating, created_at=ticket.resolved_at))
    session.flush()
    return ticket


def utc(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=timezone.utc)
