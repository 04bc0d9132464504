"""Webhook deliveries handled once, and handled again when the process handling one died.

WeChat (`MsgId`) and Telegram (`update_id`) deliver a message again when an
answer is late or lost. A delivery is claimed before it is handed to the
bot, with a short "processing" mark that the process renews while the turn
runs; when the turn is over the mark becomes "done" (with WeChat's passive
reply, if there was one) for `ttl_s`:

- a delivery nobody has claimed: handled (`NEW`);
- one another process is handling: not handed over twice (`IN_PROGRESS`);
- one that is done: answered with the saved reply, never run again (`DONE`);
- one whose processing mark lapsed without "done" (the process died
  mid-turn): handled again (`RETRY`), and marked as a re-delivery, so the
  message guard (`bot.runtime.message_guard`) first checks whether the dead
  process had already stored the turn and only re-sends its answers if so.

So a crash loses no message and stores no message twice. In memory for one
process; in Redis (`OKPAY_REDIS_URL`) for replicas. If Redis does not answer
the delivery is handled (a rare duplicate answer is better than a lost
message) and the error logged.
"""
from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, Tuple

logger = logging.getLogger(__name__)

_PROCESSING, _DONE = "P", "D"
#: Renews the processing mark only while it is still a processing mark (atomic in Redis).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class State(enum.Enum):
    NEW = "new"
    RETRY = "retry"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclass(frozen=True)
class Delivery:
    state: State
    #: The reply saved when it was done (WeChat's passive reply), or None.
    reply: str | None = None

    @property
    def handle(self) -> bool:
        """This process hands the delivery to the bot."""
        return self.state in (State.NEW, State.RETRY)


def delivery_metadata(key: str, delivery: Delivery) -> Dict[str, Any]:
    """What a claimed delivery's message carries: its delivery key as the request id (stored with the
    turn), and whether it is delivered again after a crash (then the guard checks for a stored turn first)."""
    from bot.runtime.message_guard import REDELIVERY, REQUEST_ID

    return {REQUEST_ID: key[:64], REDELIVERY: delivery.state is State.RETRY}


class DeliveryLedger:
    def __init__(self, redis_url: str = "", ttl_s: int = 900, processing_ttl_s: float = 10.0,
                 prefix: str = "okpay:delivery:") -> None:
        self.redis_url, self.ttl_s, self.prefix = redis_url, ttl_s, prefix
        self.processing_ttl_s = processing_ttl_s
        self._memory: Dict[str, Tuple[float, str]] = {}
        self._redis: Any = None

    # --- storage --------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis

    def _memory_get(self, key: str) -> str | None:
        entry = self._memory.get(key)
        if entry is None or entry[0] <= time.monotonic():
            self._memory.pop(key, None)
            return None
        return entry[1]

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [key for key, (expires, _) in self._memory.items() if expires <= now]:
            del self._memory[key]

    async def _set_new(self, key: str, value: str, ttl_s: float) -> bool:
        if not self.redis_url:
            if self._memory_get(key) is not None:
                return False
            self._memory[key] = (time.monotonic() + ttl_s, value)
            return True
        return bool(await self._client().set(key, value, nx=True, px=int(ttl_s * 1000)))

    async def _get(self, key: str) -> str | None:
        if not self.redis_url:
            return self._memory_get(key)
        value = await self._client().get(key)
        return None if value is None else value.decode("utf-8")

    # --- the ledger -----------------------------------------------------------------------------

    async def claim(self, key: str) -> Delivery:
        """Who handles delivery `key`: this process (NEW, RETRY) or nobody (IN_PROGRESS, DONE)."""
        self._prune()
        mark, tried = self.prefix + key, self.prefix + "tried:" + key
        try:
            for _ in range(2):  # a mark that lapses between SET and GET: claim again
                if await self._set_new(mark, _PROCESSING, self.processing_ttl_s):
                    first = await self._set_new(tried, "1", self.ttl_s)
                    return Delivery(State.NEW if first else State.RETRY)
                value = await self._get(mark)
                if value == _PROCESSING:
                    return Delivery(State.IN_PROGRESS)
                if value is not None:
                    return Delivery(State.DONE, value[len(_DONE):] or None)
        except Exception as error:  # noqa: BLE001 - any Redis failure: handle the delivery
            logger.error("deliveries: Redis did not answer (%s); handling %s", type(error).__name__, key)
        return Delivery(State.NEW)

    async def renew(self, key: str) -> None:
        """Keeps this process's processing mark alive."""
        mark, ttl_ms = self.prefix + key, int(self.processing_ttl_s * 1000)
        if not self.redis_url:
            if self._memory_get(mark) == _PROCESSING:
                self._memory[mark] = (time.monotonic() + self.processing_ttl_s, _PROCESSING)
            return
        try:
            await self._client().eval(_RENEW, 1, mark, _PROCESSING, ttl_ms)
        except Exception as error:  # noqa: BLE001
            logger.error("deliveries: could not renew %s: %s", key, type(error).__name__)

    async def finish(self, key: str, reply: str | None = None) -> None:
        """The turn of `key` is over (and stored): later deliveries get `reply`, never a second turn."""
        mark, value = self.prefix + key, _DONE + (reply or "")
        if not self.redis_url:
            self._memory[mark] = (time.monotonic() + self.ttl_s, value)
            return
        try:
            await self._client().set(mark, value, ex=self.ttl_s)
        except Exception as error:  # noqa: BLE001
            logger.error("deliveries: could not mark %s done: %s", key, type(error).__name__)

    @contextlib.asynccontextmanager
    async def processing(self, key: str) -> AsyncIterator[None]:
        """Renews the processing mark of `key` while the block runs (the turn of a claimed delivery)."""

        async def keep_alive() -> None:
            while True:
                await asyncio.sleep(self.processing_ttl_s / 3)
                await self.renew(key)

        renewer = asyncio.create_task(keep_alive())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
