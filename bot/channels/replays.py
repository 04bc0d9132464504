"""Webhook deliveries seen already (WeChat `MsgId`, Telegram `update_id`).

Both platforms deliver again when an answer is late or lost. A delivery is
handled the first time only; a repeat gets the reply saved for it, if any.
Kept in memory for one process; in Redis when `OKPAY_REDIS_URL` is set, so
replicas share it. If Redis does not answer, the delivery is handled (a rare
duplicate answer is better than a lost message) and the error logged.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any, Tuple

logger = logging.getLogger(__name__)

_NO_REPLY = ""


class ReplayGuard:
    def __init__(self, redis_url: str = "", ttl_s: int = 900, prefix: str = "okpay:seen:") -> None:
        self.redis_url, self.ttl_s, self.prefix = redis_url, ttl_s, prefix
        self._memory: OrderedDict[str, Tuple[float, str]] = OrderedDict()
        self._redis: Any = None

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
        return self._redis

    def _prune(self) -> None:
        now = time.monotonic()
        while self._memory:
            key, (expires, _) = next(iter(self._memory.items()))
            if expires > now:
                break
            del self._memory[key]

    async def first_time(self, key: str) -> bool:
        """True once per `key` within the time to live; later calls are replays."""
        if not self.redis_url:
            self._prune()
            if key in self._memory:
                return False
            self._memory[key] = (time.monotonic() + self.ttl_s, _NO_REPLY)
            return True
        try:
            return bool(await self._client().set(self.prefix + key, _NO_REPLY, nx=True, ex=self.ttl_s))
        except Exception as error:  # noqa: BLE001 - any Redis failure: handle the delivery
            logger.error("replay guard: Redis did not answer (%s); handling delivery %s", error, key)
            return True

    async def save_reply(self, key: str, reply: str) -> None:
        """The answer given to `key`, sent again if the platform repeats it."""
        if not self.redis_url:
            self._memory[key] = (time.monotonic() + self.ttl_s, reply)
            return
        try:
            await self._client().set(self.prefix + key, reply, ex=self.ttl_s)
        except Exception as error:  # noqa: BLE001
            logger.error("replay guard: could not save the reply of %s: %s", key, error)

    async def saved_reply(self, key: str) -> str | None:
        """The reply saved for `key`, or None when there is none (yet)."""
        if not self.redis_url:
            entry = self._memory.get(key)
            return entry[1] or None if entry else None
        try:
            value = await self._client().get(self.prefix + key)
        except Exception as error:  # noqa: BLE001
            logger.error("replay guard: could not read the reply of %s: %s", key, error)
            return None
        return value.decode("utf-8") or None if value else None

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
