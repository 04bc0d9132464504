"""Reading Rasa tracker events (as dicts) the same way in the console and the channels."""
from __future__ import annotations

from typing import Any, Dict

#: Intents the console and the channels send, never typed by a user.
EXTERNAL_PREFIX = "EXTERNAL_"


def external_intent(event: Dict[str, Any]) -> str | None:
    """The `EXTERNAL_…` intent of a user event, or None for what the user wrote.

    Rasa records them as "/EXTERNAL_x" (sent as a message) or "EXTERNAL: EXTERNAL_x"
    (through the trigger_intent API); the parsed intent tells both apart from typed words.
    """
    if event.get("event") != "user":
        return None
    name = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
    if name.startswith(EXTERNAL_PREFIX):
        return name
    text = event.get("text") or ""
    for prefix in ("/", "EXTERNAL: "):
        if text.startswith(prefix + EXTERNAL_PREFIX):
            return text[len(prefix):].split("{", 1)[0]
    return None
