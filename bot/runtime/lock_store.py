"""Conversation locks that hold across several Rasa processes.

Rasa serialises the messages of one conversation with a "ticket lock": each
message takes a ticket, waits until its number is served, then processes.
Rasa's `RedisLockStore` changes the lock with a plain read-modify-write
(`GET`, change in Python, `SET`), so two replicas taking a ticket at the same
moment can both read the same lock, issue the same number and process the
same conversation at once. `AtomicRedisLockStore` makes every change one
Lua script (`LOCK_SCRIPT`: Redis runs a script alone, and it is one round
trip where a `WATCH`/`MULTI` transaction took three), so that cannot happen,
and gives the key an expiry, so a lock left by a killed replica disappears
by itself. The lock is stored in Rasa's format.

Rasa also waits a whole second between two looks at a busy lock; a burst of
messages to one conversation then takes a second per message. Both stores
here look every `POLL_INTERVAL_S` instead.

A held lock is renewed while its turn runs (every third of its lifetime): in
Rasa's lock a turn longer than the lifetime (a slow database, retry pauses)
loses its ticket, a second turn of the same conversation starts, and Rasa's
SQL tracker store keeps only one of the two turns' events. Only a lock whose
process died (nobody renews it) runs out.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Tuple

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore

from bot.observability import metrics

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.02


class _FastPolling:
    """`lock()` with a short wait between two looks at a busy lock; the wait is measured
    (`okpay_lock_wait_seconds`)."""

    @asynccontextmanager
    async def lock(  # type: ignore[override]
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_INTERVAL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        started = time.perf_counter()
        async with super().lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:  # type: ignore[misc]
            metrics.lock_taken(started)
            yield lock


class FastInMemoryLockStore(_FastPolling, InMemoryLockStore):
    """Rasa's in-memory lock store (one process), polling every 20 ms."""

    def __init__(self, endpoint_config: Any = None) -> None:
        super().__init__()


#: One change of a conversation's lock, atomic in Redis (a script runs alone) and one round trip.
#: The lock is stored as Rasa's `TicketLock.dumps()` writes it (each ticket a JSON string inside the JSON), so
#: Rasa's own readers still understand it. Tickets past their expiry (`now` > expires, Rasa's `has_expired`)
#: are dropped first; then `op` is one of: issue (a new ticket after the last one), renew (the ticket's expiry
#: moved on, put back in order if it was lost), give_back (the ticket removed), drop_expired. An empty lock is
#: deleted; a stored one expires a few seconds after its last ticket. Returns the ticket's number and the
#: number now served (0 when nobody waits, as Rasa's `now_serving`).
LOCK_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
local op, conversation = ARGV[1], ARGV[2]
local now, lifetime, number = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local tickets = {}
if raw then
  local lock = cjson.decode(raw)
  if type(lock.conversation_id) == 'string' then conversation = lock.conversation_id end
  for _, stored in ipairs(lock.tickets or {}) do
    local ticket = cjson.decode(stored)
    if not (now > ticket.expires) then table.insert(tickets, ticket) end
  end
end
if op == 'issue' then
  number = 0
  if #tickets > 0 then number = tickets[#tickets].number + 1 end
  table.insert(tickets, {number = number, expires = now + lifetime})
elseif op == 'renew' then
  local found = false
  for _, ticket in ipairs(tickets) do
    if ticket.number == number then ticket.expires = now + lifetime; found = true end
  end
  if not found then
    local at = #tickets + 1
    for index, ticket in ipairs(tickets) do
      if ticket.number > number then at = index; break end
    end
    table.insert(tickets, at, {number = number, expires = now + lifetime})
  end
elseif op == 'give_back' then
  for index, ticket in ipairs(tickets) do
    if ticket.number == number then table.remove(tickets, index); break end
  end
end
if #tickets == 0 then
  redis.call('DEL', KEYS[1])
  return {number, 0}
end
local encoded, last = {}, now
for index, ticket in ipairs(tickets) do
  encoded[index] = cjson.encode({number = ticket.number, expires = ticket.expires})
  if ticket.expires > last then last = ticket.expires end
end
redis.call('SET', KEYS[1], cjson.encode({conversation_id = conversation, tickets = encoded}),
           'EX', math.max(1, math.ceil(last - now) + 5))
return {number, tickets[1].number}
"""


class AtomicRedisLockStore(_FastPolling, RedisLockStore):
    """Rasa's Redis lock store, with every change of a lock made atomically, in one round trip."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs.pop("type", None)
        super().__init__(**kwargs)
        self._script = self.red.register_script(LOCK_SCRIPT)

    def _change(self, conversation_id: str, op: str, ticket_number: int = -1, lifetime: float = 0.0
                ) -> Tuple[int, int]:
        """Runs `LOCK_SCRIPT`'s `op` on the conversation's lock: the ticket's number and the number now served."""
        number, serving = self._script(keys=[self.key_prefix + conversation_id],
                                       args=[op, conversation_id, repr(time.time()), repr(float(lifetime)),
                                             str(int(ticket_number))])
        return int(number), int(serving)

    @asynccontextmanager
    async def lock(  # type: ignore[override]
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_INTERVAL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        """Takes a ticket and waits for its turn, keeping the ticket alive while it waits.

        In Rasa's lock the lifetime counts from the moment the ticket is taken,
        so a message that waits long (behind a lock left by a killed replica)
        expires before its turn and is dropped. Here a waiting ticket is
        renewed at every look; only a ticket being served (or left behind by a
        dead process) runs out.
        """
        started = time.perf_counter()
        ticket, serving = self._issue(conversation_id, lock_lifetime)
        renewer: asyncio.Task | None = None
        try:
            # A ticket served at once needs no renewal: it was just issued with its whole lifetime.
            while serving != ticket:
                await asyncio.sleep(wait_time_in_seconds)
                serving = self._renew_waiting(conversation_id, ticket, lock_lifetime)
            metrics.lock_taken(started)
            renewer = asyncio.create_task(self._keep_held(conversation_id, ticket, lock_lifetime))
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + lock_lifetime)]))
        finally:
            if renewer is not None:
                renewer.cancel()
            self.cleanup(conversation_id, ticket)

    async def _keep_held(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """Renews the held ticket until cancelled (the turn is over)."""
        while True:
            await asyncio.sleep(max(lifetime / 3, POLL_INTERVAL_S))
            try:
                await asyncio.to_thread(self._renew_waiting, conversation_id, ticket, lifetime)
            except Exception as error:  # noqa: BLE001 - the lock then runs out as before; say so
                logger.warning("could not renew the lock of a conversation (%s)", type(error).__name__)

    def _renew_waiting(self, conversation_id: str, ticket_number: int, lifetime: float) -> int:
        """Drops expired tickets and renews `ticket_number` (put back if it was lost); the number now served."""
        return self._change(conversation_id, "renew", ticket_number, lifetime)[1]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._issue(conversation_id, lock_lifetime)[0]

    def _issue(self, conversation_id: str, lock_lifetime: float) -> Tuple[int, int]:
        """A new ticket's number, and the number served once it was added."""
        try:
            return self._change(conversation_id, "issue", lifetime=lock_lifetime)
        except Exception as error:  # as Rasa's: every failure to take a ticket is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, "drop_expired")

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Gives the ticket back; the lock goes when nobody else waits.

        Called after the message was processed: a Redis failure here is logged,
        not raised (the answer is already given), and the key expires by itself.
        """
        try:
            self._change(conversation_id, "give_back", ticket_number)
        except Exception as error:  # noqa: BLE001 - see docstring
            logger.warning("could not release the lock of a conversation (%s); it expires by itself",
                           type(error).__name__)
