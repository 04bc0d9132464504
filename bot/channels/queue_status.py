"""Where a user's live request stands: waiting (place and wait) or with an agent.

The widget asks while its user waits, so the place in the queue stays current.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict

from bot.database.database import StoreUnavailable, get_database
from bot.handoff.decisions import queue_wait_minutes
from bot.settings import get_settings
from bot.tickets import store
from bot.tickets.models import ASSIGNED, QUEUED

logger = logging.getLogger(__name__)


def _read(conversation_id: str) -> Dict[str, Any]:
    settings = get_settings()
    with get_database().session() as session:
        ticket = store.active_ticket(session, conversation_id)
        if ticket is None or ticket.status not in (QUEUED, ASSIGNED):
            return {"status": None}
        if ticket.status == ASSIGNED and ticket.assigned_agent is not None:
            agent = ticket.assigned_agent
            return {"status": ASSIGNED, "ticket": ticket.number,
                    "agent": {"name": agent.display_name, "number": agent.agent_number}}
        position = store.queue_position(session, ticket)
        serving = store.online_agents(session, settings.presence_timeout_s, ticket.queue)
        return {"status": QUEUED, "ticket": ticket.number, "position": position,
                "wait_minutes": queue_wait_minutes(session, position, len(serving), settings)}


async def queue_status(conversation_id: str) -> Dict[str, Any]:
    """{"status": "queued", "ticket", "position", "wait_minutes"} | {"status": "assigned", "ticket", "agent"}
    | {"status": None} when nothing is live | {"status": "unknown"} when the store is down."""
    try:
        return await asyncio.to_thread(_read, conversation_id)
    except StoreUnavailable as error:
        logger.error("queue status of %s: ticket store unavailable: %s", conversation_id, error)
        return {"status": "unknown"}
