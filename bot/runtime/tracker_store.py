"""Rasa's tracker store, made to fail loudly.

Rasa wraps every tracker store in a `FailSafeTrackerStore` that, when the
database fails, logs the error and carries on in memory: `retrieve` answers
"no such conversation" and `save` keeps the turn in this process only. After a
PostgreSQL restart that made a user's answer to the ticket form start a new
conversation (a guide instead of the ticket) whose turn never reached the
database. Here the wrapper's error callback (a parameter of its constructor,
which `Agent` leaves empty) lets the error through, so it reaches
`bot.runtime.message_guard`, which runs the turn again once the store is back
or tells the user honestly, and Rasa's HTTP API answers with an error instead
of an empty conversation.

Set on the agent when the server starts (`bot.channels.service`) and again
before each message our channels hand over (a model loaded later keeps the
agent's store, but a test may build its own agent).
"""
from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def fail_loudly(error: Exception) -> None:
    """`FailSafeTrackerStore`'s error callback: log, then let the error through (no in-memory fallback)."""
    logger.error("the tracker store failed (%s: %s)", type(error).__name__, error)
    raise error


def fail_safe_store(store: Any) -> Any:
    """Rasa's wrapper (which the HTTP API and the processor expect), without its silent fallback."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    return FailSafeTrackerStore(store, on_tracker_store_error=fail_loudly)


def make_loud(agent: Any) -> None:
    """Makes the agent's tracker store let its errors through (see the module's docstring)."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    store = getattr(agent, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore) and getattr(store, "_on_tracker_store_error", None) is not fail_loudly:
        store._on_tracker_store_error = fail_loudly
