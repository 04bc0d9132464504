"""Fixed-window rate limits, shared by every process through Redis (or kept in memory for one process).

`allow(key, limit, window_s)` counts one event for `key` in the current
window and says whether it is within `limit`. Channels count messages per
conversation and per client address; the ticket action counts tickets per
client address. A window is `window_s` long and starts with the key's first
event (Redis `INCR`, then `EXPIRE` on the first), so a burst is cut at
`limit` and a steady sender gets through again in the next window. If Redis
does not answer, the event is allowed (a user is never locked out by an
outage) and the error logged.
"""
from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import threading
import time
from typing import AbstractSet, Any, Dict, Tuple

logger = logging.getLogger(__name__)


def client_address(peer: str, forwarded_for: str | None, trusted_proxies: AbstractSet[str]) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last X-Forwarded-For hop it did not add.

    A client can write any X-Forwarded-For it likes: it is read only when the peer is a proxy we run.
    `trusted_proxies` holds addresses and networks ("10.42.0.0/16": in Kubernetes, the ingress
    controller's pods have addresses of the pod network that change with every restart).
    """
    if not _trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop if _is_ip(hop) else peer
    return peer


def _trusted(address: str, trusted_proxies: AbstractSet[str]) -> bool:
    if address in trusted_proxies:
        return True
    networks = _networks(frozenset(entry for entry in trusted_proxies if "/" in entry))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


@functools.lru_cache(maxsize=8)
def _networks(entries: frozenset) -> tuple:
    """The networks among the trusted entries (one that does not parse trusts nobody)."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            logger.warning("not a network, ignored among the trusted proxies: %s", entry)
    return tuple(found)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


#: Where a message's metadata carries its client's hashed address (widget), for the ticket limit per address.
CLIENT_KEY = "client"


def client_key(ip: str) -> str:
    """What one client is counted under: its IPv4 address, its IPv6 /64 network (one subscriber has a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def address_key(address: str | None) -> str:
    """A client address as a key: its `client_key`, hashed (no address is kept in clear)."""
    return hashlib.sha256(client_key((address or "").strip()).encode("utf-8")).hexdigest()[:20]


class RateLimiter:
    def __init__(self, redis_url: str = "", prefix: str = "okpay:rate:") -> None:
        self.redis_url, self.prefix = redis_url, prefix
        self._memory: Dict[str, Tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._sync: Any = None
        self._async: Any = None

    def _count_in_memory(self, key: str, window_s: float) -> int:
        now = time.monotonic()
        with self._lock:
            if len(self._memory) > 100_000:  # forget finished windows before the dict grows without end
                self._memory = {k: v for k, v in self._memory.items() if v[0] > now}
            expires, count = self._memory.get(key, (0.0, 0))
            if expires <= now:
                expires, count = now + window_s, 0
            self._memory[key] = (expires, count + 1)
            return count + 1

    async def allow(self, key: str, limit: int, window_s: float) -> bool:
        """Counts one event for `key`; False when it is over `limit` in the current window."""
        if limit <= 0:
            return True
        if not self.redis_url:
            return self._count_in_memory(key, window_s) <= limit
        try:
            if self._async is None:
                import redis.asyncio

                self._async = redis.asyncio.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
            name, ttl_ms = self.prefix + key, max(1, int(window_s * 1000))
            async with self._async.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(name).pexpire(name, ttl_ms, nx=True).execute()
            return int(count) <= limit
        except Exception as error:  # noqa: BLE001 - see the module's docstring
            logger.error("rate limit: Redis did not answer (%s); allowed", type(error).__name__)
            return True

    def allow_sync(self, key: str, limit: int, window_s: float) -> bool:
        """`allow` for blocking code (custom actions)."""
        if limit <= 0:
            return True
        if not self.redis_url:
            return self._count_in_memory(key, window_s) <= limit
        try:
            if self._sync is None:
                import redis

                self._sync = redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)
            name, ttl_ms = self.prefix + key, max(1, int(window_s * 1000))
            with self._sync.pipeline(transaction=True) as pipe:
                count, _ = pipe.incr(name).pexpire(name, ttl_ms, nx=True).execute()
            return int(count) <= limit
        except Exception as error:  # noqa: BLE001
            logger.error("rate limit: Redis did not answer (%s); allowed", type(error).__name__)
            return True

    async def close(self) -> None:
        if self._async is not None:
            await self._async.close()
