"""The sign-in throttle: failed sign-ins counted per (username, client address) and per client address.

After `max_per_user` failures for one username from one address, or
`max_per_ip` from one address (any usernames), within `window_s` seconds,
every such sign-in is refused — the right password too — until enough of those
failures are older than the window. A username is never locked as such: an
attacker who guesses an agent's password locks only their own address out,
not the agent (nor, behind a proxy, everyone: the address is the client's, see
`security.client_ip` and `Settings.console_trusted_proxies`). An IPv6 client
counts by its /64 network (one host is given a whole /64, so counting its single
addresses would let it guess without limit).

An attempt is counted *before* the password is checked, so a burst of
concurrent guesses cannot slip in between a check and its count; a successful
sign-in then takes its own attempt back and clears the pair's failures.
A refused (429) attempt is not counted, so retrying does not prolong the wait.

Counts live in Redis when `redis_url` is set (several console processes share
them; sorted sets of attempt times, one Lua script checks and counts, keys
expire with the window), else in this process's memory (at most `max_keys`
pairs and addresses, the least recently used forgotten first). When Redis
does not answer, the attempt is refused (`LimiterUnavailable`): no Redis must
not mean unlimited guesses.
"""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, List, Tuple

from redis.exceptions import RedisError

from bot.ratelimit import client_key
from bot.settings import Settings

logger = logging.getLogger(__name__)

# KEYS: the (username, address) pair's key, the address's key. ARGV: now, window, attempt id, username limit, address limit.
# Returns "0" after counting the attempt, else the seconds to wait (a string: Lua numbers would be truncated).
_CHECK_AND_COUNT = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local kth = redis.call('ZRANGE', key, -limit, -limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(kth[2]) + window - now)
  end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[3 + i]) + 1))
  redis.call('EXPIRE', key, math.ceil(window))
end
return '0'
"""


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"too many failed sign-ins; retry after {retry_after} s")
        self.retry_after = retry_after


class LimiterUnavailable(Exception):
    """Redis did not answer: the attempt cannot be counted, so it is refused."""


@dataclass(frozen=True)
class Attempt:
    """One counted sign-in attempt, to be taken back if the password was right."""

    user_key: str
    ip_key: str
    attempt_id: str


class LoginLimiter:
    def __init__(
        self,
        max_per_user: int = 5,
        max_per_ip: int = 20,
        window_s: float = 900,
        redis_url: str = "",
        prefix: str = "okpay:login:",
        clock: Callable[[], float] = time.time,
        max_keys: int = 10_000,
    ):
        self.max_per_user, self.max_per_ip, self.window_s = max_per_user, max_per_ip, window_s
        self.redis_url, self.prefix, self.clock, self.max_keys = redis_url, prefix, clock, max_keys
        self._memory: OrderedDict[str, List[Tuple[float, str]]] = OrderedDict()
        self._redis: Any = None
        self._script: Any = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> LoginLimiter:
        options = dict(
            max_per_user=settings.console_login_max_failures,
            max_per_ip=settings.console_login_max_failures_per_ip,
            window_s=settings.console_login_window_s,
            redis_url=settings.redis_url,
        )
        options.update(overrides)
        return cls(**options)

    def _keys(self, username: str, ip: str) -> Tuple[str, str]:
        """The keys of the (username, address) pair and of the address."""
        address = client_key(ip)
        # Hashed: a username is whatever the request sent, of any length.
        pair = hashlib.sha256(f"{username.strip().lower()}\n{address}".encode()).hexdigest()[:32]
        return f"{self.prefix}pair:{pair}", f"{self.prefix}ip:{address}"

    async def begin(self, username: str, ip: str) -> Attempt:
        """Counts a sign-in attempt; raises TooManyAttempts or LimiterUnavailable instead if it may not be made."""
        user_key, ip_key = self._keys(username, ip)
        attempt = Attempt(user_key, ip_key, secrets.token_hex(8))
        now = self.clock()
        limits = ((user_key, self.max_per_user), (ip_key, self.max_per_ip))
        if self.redis_url:
            wait = await self._begin_in_redis(attempt, now)
        else:
            wait = max(self._wait_in_memory(key, limit, now) for key, limit in limits)
            if wait <= 0:
                for key, limit in limits:
                    self._remember(key, limit, now, attempt.attempt_id)
        if wait > 0:
            raise TooManyAttempts(max(1, math.ceil(wait)))
        return attempt

    async def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clears the pair's failures and takes the attempt off the address's."""
        if not self.redis_url:
            self._memory.pop(attempt.user_key, None)
            entries = self._memory.get(attempt.ip_key, [])
            entries[:] = [entry for entry in entries if entry[1] != attempt.attempt_id]
            return
        try:
            client = self._client()
            await client.delete(attempt.user_key)
            await client.zrem(attempt.ip_key, attempt.attempt_id)
        except (RedisError, OSError) as error:
            # The sign-in stands; the counts expire with the window.
            logger.warning("sign-in throttle: could not clear the failures of a successful sign-in: %s", error)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
            self._redis = None

    # ------------------------------------------------------------------ memory
    def _wait_in_memory(self, key: str, limit: int, now: float) -> float:
        entries = self._memory.get(key)
        if not entries:
            return 0
        entries[:] = [entry for entry in entries if entry[0] > now - self.window_s]
        if len(entries) < limit:
            return 0
        return entries[-limit][0] + self.window_s - now

    def _remember(self, key: str, limit: int, now: float, attempt_id: str) -> None:
        entries = self._memory.pop(key, [])
        entries.append((now, attempt_id))
        self._memory[key] = entries[-limit:]  # most recently used last
        while len(self._memory) > self.max_keys:
            self._memory.popitem(last=False)

    # ------------------------------------------------------------------- Redis
    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
            self._script = self._redis.register_script(_CHECK_AND_COUNT)
        return self._redis

    async def _begin_in_redis(self, attempt: Attempt, now: float) -> float:
        self._client()
        try:
            wait = await self._script(
                keys=[attempt.user_key, attempt.ip_key],
                args=[repr(now), self.window_s, attempt.attempt_id, self.max_per_user, self.max_per_ip],
            )
        except (RedisError, OSError) as error:
            logger.error("sign-in throttle: Redis did not answer (%s); refusing the sign-in", error)
            raise LimiterUnavailable(str(error)) from error
        return float(wait)
