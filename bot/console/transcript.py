"""A conversation's transcript for agents, from Rasa tracker events."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List

from bot.events import external_intent

USER, BOT, AGENT, SYSTEM = "user", "bot", "agent", "system"
#: What a channel sends when the user sends something it cannot read (bot/channels/common.py).
UNREADABLE = "EXTERNAL_unsupported_message"


def transcript(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """User, bot and agent messages in order, plus pause/resume markers.

    Each entry keeps `seq`, its index among the tracker's events, so the page
    asks only for what is newer (`after=<seq>`).
    """
    lines: List[Dict[str, Any]] = []
    for seq, event in enumerate(events):
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
        elif kind in ("pause", "resume"):
            lines.append({"seq": seq, "role": SYSTEM, "text": kind, "time": event.get("timestamp")})
    return lines
