"""What changed, pushed to the agents' open pages as server-sent events (`GET /api/live`).

The console used to re-read every open conversation from Rasa every 2 s and
the queue every 3 s. Now a page opens one `EventSource` and is told when to
read: Rasa's events come through the event stream (`bot.stream`), the
console's own changes (a claim, a transfer, presence) from its handlers.

    event: ticket   data: {"number": "T…"}   new events in the ticket's conversation, or the ticket changed
    event: queue    data: {}                 the queue may have changed (a ticket opened, claimed, cancelled …)
    event: agents   data: {}                 an agent's presence changed
    event: resync   data: {}                 updates may have been missed: read everything again

A page reads what it is told about through the JSON API as before, so the
access rules stay those of the API; a notification names a ticket number only,
and only to agents who may open that ticket. At rest an open page costs one
idle connection and, every 15 s, a comment line and one check that its
sign-in is still valid: no Rasa call, no read of a ticket or conversation.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Set

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.stream.feed import EventFeed
from bot.tickets import store
from bot.tickets.models import ACTIVE_STATUSES, Ticket

logger = logging.getLogger(__name__)

#: Seconds between keep-alive comments on an idle stream (proxies close silent connections), and between checks
#: that the page's sign-in is still valid.
HEARTBEAT_S = 15.0
#: Notifications a slow page may have waiting; past that it is told to read everything again.
QUEUE_LIMIT = 100
#: Rasa events after which the queue may look different.
_QUEUE_EVENTS = frozenset({"pause", "resume", "restart", "session_started"})
_QUEUE_ACTIONS = frozenset({"action_open_ticket", "action_cancel_handoff", "action_handback"})


def changes_queue(event: Dict[str, Any]) -> bool:
    """Whether a Rasa event may add a ticket to the queue or take one off it."""
    kind = event.get("event")
    return kind in _QUEUE_EVENTS or (kind == "action" and event.get("name") in _QUEUE_ACTIONS)


@dataclass(eq=False)
class Subscriber:
    """One open page: its agent and the notifications waiting to be written to it."""

    agent_id: int
    token: str
    waiting: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    #: A "resync" is waiting: what comes before the page reads it is covered by it.
    behind: bool = False

    def tell(self, kind: str, data: Dict[str, Any]) -> None:
        if self.behind and kind != "closed":
            return
        try:
            self.waiting.put_nowait((kind, data))
        except asyncio.QueueFull:  # a page that does not read: it will read everything once it does
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self.waiting.get_nowait()
            self.waiting.put_nowait(("resync", {}))
            self.behind = True

    async def next(self, timeout: float) -> tuple[str, Dict[str, Any]]:
        """The next notification (asyncio.TimeoutError after `timeout` seconds without one)."""
        kind, data = await asyncio.wait_for(self.waiting.get(), timeout)
        if kind == "resync":
            self.behind = False
        return kind, data


class LiveHub:
    """The open pages, and the task that follows the event stream for them."""

    def __init__(self, console: Any, feed: EventFeed | None) -> None:
        self.console, self.feed = console, feed
        self.subscribers: Set[Subscriber] = set()
        self._task: asyncio.Task | None = None

    # ------------------------------------------------------------ lifecycle
    async def start(self, _app: web.Application | None = None) -> None:
        if self.feed is not None:
            self._task = asyncio.get_running_loop().create_task(self._follow(), name="console-live-feed")

    async def stop(self, _app: web.Application | None = None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.feed is not None:
            self.feed.close()
        for subscriber in list(self.subscribers):
            subscriber.tell("closed", {})

    async def _follow(self) -> None:
        assert self.feed is not None
        async for batch in self.feed.follow():
            try:
                if batch is None:
                    self.tell_everyone("resync")
                else:
                    await self._dispatch([event for _, event in batch])
            except Exception:  # noqa: BLE001 - one bad batch must not end the live view
                logger.exception("live: could not dispatch a batch of events")
                self.tell_everyone("resync")

    # ------------------------------------------------------------ telling
    def tell_everyone(self, kind: str, data: Dict[str, Any] | None = None) -> None:
        for subscriber in list(self.subscribers):
            subscriber.tell(kind, data or {})

    async def ticket_changed(self, numbers: Iterable[str]) -> None:
        """Tells the pages of agents who may open these tickets that they changed."""
        numbers = list(dict.fromkeys(numbers))
        if not numbers or not self.subscribers:
            return
        subscribers = list(self.subscribers)

        def readers(session: Session) -> List[tuple[str, Set[int]]]:
            agents = {agent.id: agent for agent in session.execute(
                select(Agent).where(Agent.id.in_({s.agent_id for s in subscribers}))).scalars()}
            found = []
            for number in numbers:
                ticket = store.ticket_by_number(session, number)
                found.append((number, {agent_id for agent_id, agent in agents.items()
                                       if store.may_access(ticket, agent)}))
            return found

        for number, allowed in await self.console.db(readers):
            for subscriber in subscribers:
                if subscriber.agent_id in allowed:
                    subscriber.tell("ticket", {"number": number})

    async def _dispatch(self, events: List[Dict[str, Any]]) -> None:
        """Rasa's new events: their conversations' active tickets changed; the queue too, after some events."""
        if not self.subscribers:
            return
        conversations = {str(event.get("sender_id")) for event in events if event.get("sender_id")}

        def active_tickets(session: Session) -> List[str]:
            return list(session.execute(
                select(Ticket.number).where(Ticket.conversation_id.in_(conversations),
                                            Ticket.status.in_(ACTIVE_STATUSES))).scalars())

        await self.ticket_changed(await self.console.db(active_tickets))
        if any(changes_queue(event) for event in events):
            self.tell_everyone("queue")

    # ------------------------------------------------------------ the route
    async def stream(self, request: web.Request) -> web.StreamResponse:
        """`GET /api/live`: server-sent events for the signed-in agent's page."""
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache, no-store",
            "X-Accel-Buffering": "no",  # nginx: pass each event on at once
        })
        await response.prepare(request)
        subscriber = Subscriber(request["agent"]["id"], request["session_token"])
        self.subscribers.add(subscriber)
        try:
            await response.write(b"retry: 2000\n\n")
            await _write(response, "hello", {})
            while True:
                try:
                    kind, data = await subscriber.next(HEARTBEAT_S)
                except asyncio.TimeoutError:
                    if not await self.console.signed_in(subscriber.token):
                        await _write(response, "signed_out", {})
                        break
                    await response.write(b": ping\n\n")
                    continue
                if kind == "closed":
                    break
                await _write(response, kind, data)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.subscribers.discard(subscriber)
        return response

    def signed_out(self, token: str) -> None:
        """Ends the streams of a session that signed out."""
        for subscriber in list(self.subscribers):
            if subscriber.token == token:
                subscriber.tell("closed", {})


async def _write(response: web.StreamResponse, kind: str, data: Dict[str, Any]) -> None:
    await response.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())
