"""A conversation's events after a position, read from Rasa's tracker store (see `bot.conversations`)."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

#: How many events one answer holds at most; the caller asks again from where it ends.
PAGE = 2000


async def events_after(store: Any, conversation: str, after: int = -1, limit: int = PAGE
                       ) -> Tuple[List[Dict[str, Any]], int]:
    """The events of `conversation` (every session, Rasa's order) after position `after` (at most `limit`), and
    how many it has. Positions count from 0; `after=-1` asks from the start.

    `store` is the agent's tracker store: the cached SQL store reads only the rows after `after`; another store
    is read whole.
    """
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps every store in a FailSafeTrackerStore
    if hasattr(inner, "events_after"):
        events, total = inner.events_after(conversation, after)
    else:
        tracker = await store.retrieve_full_tracker(conversation)
        every = [event.as_dict() for event in tracker.events] if tracker is not None else []
        events, total = every[after + 1:], len(every)
    return events[:limit], total


async def session_events(store: Any, conversation: str) -> List[Dict[str, Any]]:
    """The events of `conversation`'s current session (what the bot answers from), as dicts; [] if none."""
    tracker = await store.retrieve(conversation)
    return [] if tracker is None else [event.as_dict() for event in tracker.events]
