"""A widget conversation's history, from the tracker, as the widget shows it.

Sent when the widget (re)connects, so a reload or a dropped connection does
not lose the conversation. A tapped button shows as its title, not its
payload; only the last bot message, if not yet answered, keeps its buttons.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List

from bot.channels.common import agent_of
from bot.events import external_intent

MAX_HISTORY_MESSAGES = 200


def quick_replies(buttons: Iterable[Dict[str, Any]]) -> List[Dict[str, str]]:
    """Buttons as the widget draws them: title and payload, both text."""
    return [{"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))} for button in buttons]


def widget_history(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    messages: List[Dict[str, Any]] = []
    last_buttons: List[Dict[str, str]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = event.get("text") or ""
            if external_intent(event) is not None:
                continue
            titles = {button["payload"]: button["title"] for button in last_buttons}
            messages.append({"role": "user", "text": titles.get(text, text), "time": event.get("timestamp")})
            last_buttons = []
        elif kind == "bot":
            message: Dict[str, Any] = {"role": "bot", "text": event.get("text") or "", "time": event.get("timestamp")}
            agent = agent_of(event.get("metadata") or {})
            if agent is not None:
                message.update(role="agent", agent={"name": agent["name"], "number": agent.get("number", "")})
            data = event.get("data") or {}
            last_buttons = quick_replies(data.get("buttons") or data.get("quick_replies") or [])
            if last_buttons:
                message["quick_replies"] = last_buttons
            if message["text"] or last_buttons:
                messages.append(message)
    for message in messages[:-1]:
        message.pop("quick_replies", None)
    if messages and messages[-1]["role"] == "user":
        messages[-1].pop("quick_replies", None)
    return messages[-MAX_HISTORY_MESSAGES:]
