"""Conversation locks that hold across several Rasa processes.

Rasa serialises the messages of one conversation with a "ticket lock": each
message takes a ticket, waits until its number is served, then processes.
Rasa's `RedisLockStore` changes the lock with a plain read-modify-write
(`GET`, change in Python, `SET`), so two replicas taking a ticket at the same
moment can both read the same lock, issue the same number and process the
same conversation at once. `AtomicRedisLockStore` makes every change one
optimistic transaction (`WATCH`/`MULTI`), so that cannot happen, and gives
the key an expiry, so a lock left by a killed replica disappears by itself.

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
import json
import logging
import math
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Tuple, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore

logger = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.02
T = TypeVar("T")


class _FastPolling:
    """`lock()` with a short wait between two looks at a busy lock."""

    @asynccontextmanager
    async def lock(  # type: ignore[override]
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_INTERVAL_S,
    ) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:  # type: ignore[misc]
            yield lock


class FastInMemoryLockStore(_FastPolling, InMemoryLockStore):
    """Rasa's in-memory lock store (one process), polling every 20 ms."""

    def __init__(self, endpoint_config: Any = None) -> None:
        super().__init__()


class AtomicRedisLockStore(_FastPolling, RedisLockStore):
    """Rasa's Redis lock store, with every change of a lock made atomically."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        kwargs.pop("type", None)
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Callable[[TicketLock | None], Tuple[TicketLock | None, T]]
                ) -> T:
        """Applies `change` to the stored lock in one transaction, retried when another process got there first.

        `change` gets the lock (or None) and returns the lock to store (None:
        delete it) and a result.
        """
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps(), ex=_expiry_s(new_lock))
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

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
        ticket, lock = self._issue(conversation_id, lock_lifetime)
        renewer: asyncio.Task | None = None
        try:
            # A ticket served at once needs no renewal: it was just issued with its whole lifetime.
            while lock.is_locked(ticket):
                await asyncio.sleep(wait_time_in_seconds)
                lock = self._renew_waiting(conversation_id, ticket, lock_lifetime)
            renewer = asyncio.create_task(self._keep_held(conversation_id, ticket, lock_lifetime))
            yield lock
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

    def _renew_waiting(self, conversation_id: str, ticket_number: int, lifetime: float) -> TicketLock:
        """Drops expired tickets and renews `ticket_number` (put back if it was lost); returns the lock."""

        def renew(lock: TicketLock | None) -> Tuple[TicketLock, TicketLock]:
            lock = lock or TicketLock(conversation_id)
            lock.remove_expired_tickets()
            expires = time.time() + lifetime
            for ticket in lock.tickets:
                if ticket.number == ticket_number:
                    ticket.expires = expires
                    break
            else:
                lock.tickets.append(Ticket(ticket_number, expires))
                lock.tickets = deque(sorted(lock.tickets, key=lambda t: t.number))
            return lock, lock

        return self._change(conversation_id, renew)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        return self._issue(conversation_id, lock_lifetime)[0]

    def _issue(self, conversation_id: str, lock_lifetime: float) -> Tuple[int, TicketLock]:
        """A new ticket's number, and the lock as it stood once the ticket was added (one transaction)."""
        def issue(lock: TicketLock | None) -> Tuple[TicketLock, Tuple[int, TicketLock]]:
            lock = lock or TicketLock(conversation_id)
            lock.remove_expired_tickets()
            return lock, (lock.issue_ticket(lock_lifetime), lock)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:  # as Rasa's: every failure to take a ticket is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> Tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            return (lock if lock.tickets else None), None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Gives the ticket back; the lock goes when nobody else waits.

        Called after the message was processed: a Redis failure here is logged,
        not raised (the answer is already given), and the key expires by itself.
        """

        def give_back(lock: TicketLock | None) -> Tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        try:
            self._change(conversation_id, give_back)
        except Exception as error:  # noqa: BLE001 - see docstring
            logger.warning("could not release the lock of a conversation (%s); it expires by itself",
                           type(error).__name__)


def _expiry_s(lock: TicketLock) -> int:
    """Seconds until the last ticket of `lock` expires, plus a margin."""
    last = max((ticket.expires for ticket in lock.tickets), default=time.time())
    return max(1, math.ceil(last - time.time()) + 5)
