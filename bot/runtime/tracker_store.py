"""Rasa's tracker store, made to fail loudly, with connections checked before use.

Rasa wraps every tracker store in a `FailSafeTrackerStore` that, when the
database fails, logs the error and carries on in memory: `retrieve` answers
"no such conversation" and `save` keeps the turn in this process only. After a
PostgreSQL restart that made a user's answer to the ticket form start a new
conversation (a guide instead of the ticket) whose turn never reached the
database. Here the error reaches `bot.runtime.message_guard`, which runs the
turn again once the store is back or tells the user honestly.

Without `pool_pre_ping`, every pooled connection is dead after PostgreSQL
restarts and the next turns fail one by one; with it, SQLAlchemy notices and
reconnects.
"""
from __future__ import annotations

import logging
from typing import Any, Dict

logger = logging.getLogger(__name__)


def fail_loudly(error: Exception) -> None:
    """`FailSafeTrackerStore`'s error callback: log, then let the error through (no in-memory fallback)."""
    logger.error("the tracker store failed (%s: %s)", type(error).__name__, error)
    raise error


def fail_safe_store(store: Any) -> Any:
    """Rasa's wrapper (which the HTTP API and the processor expect), without its silent fallback."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    return FailSafeTrackerStore(store, on_tracker_store_error=fail_loudly)


def install() -> None:
    import rasa.core.tracker_store as tracker_store
    from rasa.core.agent import Agent

    original = tracker_store.create_engine_kwargs

    def create_engine_kwargs(url: Any) -> Dict[str, Any]:
        kwargs = original(url)
        kwargs["pool_pre_ping"] = True
        return kwargs

    tracker_store.create_engine_kwargs = create_engine_kwargs

    def create_tracker_store(store: Any, domain: Any) -> Any:
        if store is None:
            store = tracker_store.InMemoryTrackerStore(domain)
        else:
            store.domain = domain
        return fail_safe_store(store)

    Agent._create_tracker_store = staticmethod(create_tracker_store)  # type: ignore[method-assign]
