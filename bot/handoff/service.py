"""What agents do to a handoff in the console: claim, reply, transfer, resolve (see `bot.handoff`).

Every change that needs the conversation to follow writes its `HandoffStep`
rows in the transaction that changes the ticket. The steps are then carried
out in order, per ticket, through Rasa's API (`bot.console.rasa_client`) and
marked done. When Rasa does not answer, the step stays pending: the answer
says `delivered: false`, and `retry_pending` (the console runs it every few
seconds while steps wait) carries it out once Rasa is back, before any later
step of the same ticket. A step a channel refuses for good (a WeChat user
silent for 48 hours, a Telegram user who blocked the bot) is noted on the
ticket and not tried again.

Repeating a request changes nothing: claiming a conversation one already
has, or resolving a resolved ticket, answers with the ticket as it is. If the
console dies after Rasa carried a step out but before it was marked done,
the step runs again (the user may see the agent's introduction twice): at
least once, never lost.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.channels.undelivered import undelivered_in
from bot.console.rasa_client import NotDelivered, RasaClient, RasaUnavailable
from bot.database.database import Database
from bot.database.schema import utcnow
from bot.logs.context import log_scope
from bot.observability import metrics
from bot.tickets import store
from bot.tickets.models import ASSIGNED, OPEN, RESOLVED, HandoffStep, Ticket

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: The conversation steps (`HandoffStep.kind`).
INTRODUCE_AGENT = "introduce_agent"  # payload: name, number (the agent who now has the conversation)
ANNOUNCE_SENIOR = "announce_senior"  # the conversation went to the senior queue
HAND_BACK = "hand_back"  # payload: number (the ticket; resumed, the bot asks for a rating)
#: Tries before a step is given up (logged; the ticket's page shows it was not delivered).
MAX_ATTEMPTS = 20
#: Seconds between retries of pending steps.
RETRY_S = 5.0

#: Renders a ticket for the caller inside the transaction (the console's `ticket_json` for the viewer).
View = Callable[[Session, Ticket], Any]


@dataclass(frozen=True)
class Outcome:
    """The ticket as the caller renders it, and whether the conversation has followed (all steps done)."""

    view: Any
    delivered: bool


class HandoffService:
    """The handoff's one owner in the console process (`bot.handoff`)."""

    def __init__(self, database: Database, rasa: RasaClient, capacity: int,
                 changed: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.database, self.rasa, self.capacity = database, rasa, capacity
        #: Told the number of every ticket whose steps ran (the live view).
        self.changed = changed
        self._locks: Dict[int, asyncio.Lock] = {}

    async def _db(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.database.session() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(None, run)

    # ------------------------------------------------------------------ agents' requests
    async def claim(self, number: str, agent_id: int, view: View) -> Outcome:
        def work(session: Session) -> tuple[Any, int, Callable[[], None] | None]:
            ticket, agent = store.ticket_by_number(session, number), session.get(Agent, agent_id)
            count = None
            if not (ticket.status == ASSIGNED and ticket.assigned_agent_id == agent_id):  # else: claimed already
                store.claim(session, ticket.id, agent, self.capacity)
                _add_step(session, ticket, INTRODUCE_AGENT, name=agent.display_name, number=agent.agent_number)
                count = partial(metrics.claimed, ticket.queue, ticket.queued_at, ticket.claimed_at)
            return view(session, ticket), ticket.id, count

        shown, ticket_id, count = await self._db(work)
        if count is not None:  # committed
            count()
        return Outcome(shown, await self.carry_out(ticket_id))

    async def transfer(self, number: str, agent_id: int, view: View, to_username: str | None = None,
                       to_queue: str | None = None) -> Outcome:
        def work(session: Session) -> tuple[Any, int]:
            ticket, agent = store.ticket_by_number(session, number), session.get(Agent, agent_id)
            target = None
            if to_username:
                target = session.execute(select(Agent).where(Agent.username == str(to_username))).scalar_one_or_none()
                if target is None:
                    raise store.UnknownAgent(f"no agent {to_username}")
            store.transfer(session, ticket, agent, to_agent=target, to_queue=None if target else to_queue)
            if target is not None:
                _add_step(session, ticket, INTRODUCE_AGENT, name=target.display_name, number=target.agent_number)
            else:
                _add_step(session, ticket, ANNOUNCE_SENIOR)
            return view(session, ticket), ticket.id

        shown, ticket_id = await self._db(work)
        metrics.HANDOFFS_TRANSFERRED.labels(metrics.TO_AGENT if to_username else metrics.TO_QUEUE).inc()
        return Outcome(shown, await self.carry_out(ticket_id))

    async def resolve(self, number: str, agent_id: int, view: View) -> Outcome:
        def work(session: Session) -> tuple[Any, int, bool | None]:
            ticket = store.ticket_by_number(session, number)
            live = None
            if ticket.status != RESOLVED:  # else: resolved already
                live = ticket.status != OPEN  # a ticket recorded for later has no chat to hand back
                store.resolve(session, ticket, session.get(Agent, agent_id))
                if live:
                    _add_step(session, ticket, HAND_BACK, number=ticket.number)
            return view(session, ticket), ticket.id, live

        shown, ticket_id, live = await self._db(work)
        if live is not None:  # resolved now, and committed
            metrics.HANDOFFS_RESOLVED.labels("true" if live else "false").inc()
        return Outcome(shown, await self.carry_out(ticket_id))

    async def reply(self, number: str, agent_id: int, text: str, who: Dict[str, str]) -> None:
        """Sends the handling agent's message to the user now; raises NotDelivered / RasaUnavailable.

        Not kept for later: an agent whose message did not go out is told so and decides what to send.
        """
        def check(session: Session) -> tuple[str, str]:
            ticket = store.ticket_by_number(session, number)
            store.require_handler(ticket, session.get(Agent, agent_id))
            ticket.updated_at = utcnow()
            return ticket.conversation_id, ticket.channel

        conversation, channel = await self._db(check)
        with log_scope(conversation, private=[text]):  # its lines carry the conversation's hash (bot.logs)
            try:
                await self.rasa.say_as_agent(conversation, text, who, channel)
            except NotDelivered as error:
                await self._note_undelivered(conversation, str(error))
                raise

    # ------------------------------------------------------------------ the conversation's side
    async def carry_out(self, ticket_id: int) -> bool:
        """Carries out the ticket's pending steps in order; whether none is left."""
        lock = self._locks.setdefault(ticket_id, asyncio.Lock())
        async with lock:
            steps = await self._db(lambda session: _pending(session, ticket_id))
            for step in steps:
                if not await self._run(step):
                    return False
        self._locks.pop(ticket_id, None)
        return True

    async def retry_pending(self) -> int:
        """Carries out the steps still pending (oldest ticket first); how many tickets still wait."""
        tickets = await self._db(lambda session: dict(session.execute(
            select(HandoffStep.ticket_id, Ticket.number).join(Ticket, Ticket.id == HandoffStep.ticket_id)
            .where(HandoffStep.done_at.is_(None), HandoffStep.attempts < MAX_ATTEMPTS)
            .order_by(HandoffStep.id)).all()))
        waiting = 0
        for ticket_id, number in tickets.items():
            if not await self.carry_out(ticket_id):
                waiting += 1
            elif self.changed is not None:
                await self.changed(number)
        return waiting

    async def run_retries(self) -> None:
        """Forever: every RETRY_S seconds, the pending steps (a query; Rasa is called only when some wait)."""
        while True:
            await asyncio.sleep(RETRY_S)
            try:
                await self.retry_pending()
            except Exception:  # noqa: BLE001 - the database is down: try again next time
                logger.exception("handoff: could not retry the pending conversation steps")

    async def _run(self, step: Dict[str, Any]) -> bool:
        """One step through Rasa's API; recorded done, or its failure recorded. Whether it is done."""
        with log_scope(step["conversation_id"]):  # its lines carry the conversation's hash (bot.logs)
            return await self._run_step(step)

    async def _run_step(self, step: Dict[str, Any]) -> bool:
        conversation, channel, payload = step["conversation_id"], step["channel"], step["payload"]
        error_text: str | None = None
        try:
            if step["kind"] == INTRODUCE_AGENT:
                await self.rasa.introduce_agent(conversation, payload["name"], payload["number"], channel)
            elif step["kind"] == ANNOUNCE_SENIOR:
                await self.rasa.execute(conversation, "utter_transfer_senior", channel)
            elif step["kind"] == HAND_BACK:
                await self.rasa.hand_back(conversation, payload["number"], channel)
            else:
                raise ValueError(f"unknown handoff step {step['kind']}")
        except NotDelivered as error:  # refused by the user's channel for good: noted, not tried again
            await self._note_undelivered(conversation, str(error))
            error_text = "undelivered"
        except RasaUnavailable as error:
            logger.warning("handoff: %s of ticket %s waits for Rasa (%s)", step["kind"], step["ticket_id"],
                           type(error).__name__)
            failure = str(error)[:200]
            await self._db(lambda session: _attempted(session, step["id"], failure, done=False))
            return False
        await self._db(lambda session: _attempted(session, step["id"], error_text, done=True))
        return error_text is None

    async def _note_undelivered(self, conversation: str, error: str) -> None:
        found = undelivered_in(error)
        if found is None:
            return
        channel, reason = found
        await self._db(lambda session: store.record_undelivered(session, conversation, channel, reason))


def _add_step(session: Session, ticket: Ticket, kind: str, **payload: Any) -> HandoffStep:
    step = HandoffStep(ticket_id=ticket.id, kind=kind, payload=payload, created_at=utcnow(), attempts=0)
    session.add(step)
    session.flush()
    return step


def _pending(session: Session, ticket_id: int) -> List[Dict[str, Any]]:
    ticket = session.get(Ticket, ticket_id)
    steps = session.execute(select(HandoffStep).where(
        HandoffStep.ticket_id == ticket_id, HandoffStep.done_at.is_(None), HandoffStep.attempts < MAX_ATTEMPTS)
        .order_by(HandoffStep.id)).scalars()
    return [{"id": step.id, "ticket_id": ticket_id, "kind": step.kind, "payload": dict(step.payload or {}),
             "conversation_id": ticket.conversation_id, "channel": ticket.channel} for step in steps]


def _attempted(session: Session, step_id: int, error: str | None, done: bool) -> None:
    step = session.get(HandoffStep, step_id)
    step.attempts += 1
    step.last_error = error
    if done:
        step.done_at = utcnow()
