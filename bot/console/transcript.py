"""A ticket's transcript for agents, from Rasa tracker events.

A user's tracker holds every conversation they ever had (for the widget, all
their sessions). A ticket shows only its own part (`ticket_window`): from the
start of the Rasa session in which the user asked for it (so the agent sees
the guide and the form that led there), but never before the end of an
earlier ticket's part, and up to where the user's next ticket begins. An
earlier ticket ends with its request when it was recorded for later, or with
the `resume` that ended its handoff (hand-back, or 取消 while waiting), so a
conversation another agent had with the user never shows on a later ticket,
nor a later one on an earlier ticket. (The rating the bot asks for after a
hand-back, between the bot and the user only, so shows with the next ticket.)

The request is the user message that opened the ticket, named by the ticket's
`request_key` (conversation and Rasa's message id); a ticket without one
(Rasa gave no id) is taken to be asked for by the last user message before its
`created_at`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, NamedTuple, Sequence, Tuple

from sqlalchemy.orm import Session

from bot.events import external_intent
from bot.tickets.models import Ticket
from bot.tickets.store import conversation_tickets, message_request_key

USER, BOT, AGENT, SYSTEM = "user", "bot", "agent", "system"
#: What a channel sends when the user sends something it cannot read (bot/channels/common.py).
UNREADABLE = "EXTERNAL_unsupported_message"
#: Events after which what came before is another conversation: a new Rasa session, a restart.
SESSION_STARTS = ("session_started", "restart")
#: The end of a handoff: the bot took the conversation back.
RESUMED = "resume"


class Opening(NamedTuple):
    """How a ticket was asked for: its `request_key` and `created_at`."""

    request_key: str | None
    created_at: datetime


@dataclass(frozen=True)
class TicketConversation:
    """A ticket's conversation and its place among the conversation's tickets, read from the store."""

    conversation_id: str
    openings: Tuple[Opening, ...]
    index: int

    def window(self, events: Sequence[Dict[str, Any]]) -> range:
        """The indexes of the tracker's `events` that are this ticket's conversation."""
        return ticket_window(events, self.conversation_id, self.openings, self.index)


def ticket_conversation(session: Session, ticket: Ticket) -> TicketConversation:
    tickets = conversation_tickets(session, ticket.conversation_id)
    return TicketConversation(ticket.conversation_id, tuple(Opening(t.request_key, t.created_at) for t in tickets),
                              [t.id for t in tickets].index(ticket.id))


def transcript(events: Iterable[Dict[str, Any]], window: range | None = None) -> List[Dict[str, Any]]:
    """User, bot and agent messages in order, plus pause/resume markers (only those in `window`, if given).

    Each entry keeps `seq`, its index among the tracker's events, so the page
    asks only for what is newer (`after=<seq>`).
    """
    lines: List[Dict[str, Any]] = []
    for seq, event in enumerate(events):
        if window is not None and seq not in window:
            continue
        kind = event.get("event")
        if kind == "user":
            text = event.get("text") or ""
            line = {"seq": seq, "role": USER, "text": text, "time": event.get("timestamp")}
            intent = external_intent(event)
            if intent == UNREADABLE:
                # An image, voice message … that the channel could not pass on: the agent is told what it was.
                line.update(text="", unreadable=(event.get("metadata") or {}).get("message_kind") or "other")
            elif intent is not None:
                continue
            lines.append(line)
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            data = event.get("data") or {}
            line = {"seq": seq, "role": BOT, "text": event.get("text") or "", "time": event.get("timestamp")}
            if metadata.get("agent"):
                agent = metadata["agent"]
                line.update(role=AGENT, agent_name=agent.get("name"), agent_number=agent.get("number"))
            buttons = [button.get("title") for button in data.get("buttons") or []]
            if buttons:
                line["buttons"] = buttons
            lines.append(line)
        elif kind in ("pause", RESUMED):
            lines.append({"seq": seq, "role": SYSTEM, "text": kind, "time": event.get("timestamp")})
    return lines


def ticket_window(events: Sequence[Dict[str, Any]], conversation_id: str, openings: Sequence[Opening],
                  index: int) -> range:
    """The event indexes of the conversation's `index`-th ticket (`openings`: all its tickets, oldest first)."""
    requests = [_request_at(events, conversation_id, opening) for opening in openings]
    start = _start(events, requests, index)
    later = [_start(events, requests, k) for k in range(index + 1, len(openings))]
    return range(start, min((seq for seq in later if seq > start), default=len(events)))


def _request_at(events: Sequence[Dict[str, Any]], conversation_id: str, opening: Opening) -> int:
    """Index of the user message that asked for the ticket (-1: none before it was created)."""
    if opening.request_key:
        for seq, event in enumerate(events):
            if event.get("event") == "user" and opening.request_key in (
                    message_request_key(conversation_id, event.get("message_id"), event.get("metadata")),
                    message_request_key(conversation_id, event.get("message_id"), None)):
                return seq
    created = opening.created_at.timestamp()
    before = [seq for seq, event in enumerate(events)
              if event.get("event") == "user" and (event.get("timestamp") or 0) <= created]
    return before[-1] if before else -1


def _start(events: Sequence[Dict[str, Any]], requests: Sequence[int], index: int) -> int:
    """Where the ticket's part begins: after the last session start, handoff end or earlier ticket's request
    before its own request."""
    request = requests[index]
    bounds = [seq for seq in range(max(request, 0)) if events[seq].get("event") in (*SESSION_STARTS, RESUMED)]
    bounds += [earlier for earlier in requests[:index] if earlier < request]
    return max(bounds, default=-1) + 1
