"""Rate limits: a burst is cut at the limit, a new window lets the sender in again, an outage locks nobody out."""
from __future__ import annotations

import asyncio
import time

import pytest

from bot.ratelimit import RateLimiter, address_key, client_address


@pytest.fixture(params=["memory", "redis"])
def limiter(request):
    if request.param == "memory":
        return RateLimiter()
    url = request.getfixturevalue("redis_url")
    return RateLimiter(url, prefix=url.prefix)


def test_a_burst_is_cut_at_the_limit_and_the_next_window_lets_it_in(limiter):
    async def scenario():
        verdicts = [await limiter.allow("msg:rest:u1", 3, 1) for _ in range(5)]
        other = await limiter.allow("msg:rest:u2", 3, 1)
        await asyncio.sleep(1.6)
        later = await limiter.allow("msg:rest:u1", 3, 1)
        await limiter.close()
        return verdicts, other, later

    verdicts, other, later = asyncio.run(scenario())
    assert verdicts == [True, True, True, False, False]
    assert other and later


def test_the_blocking_form_counts_in_the_same_windows(limiter):
    assert [limiter.allow_sync("tickets:abc", 2, 60) for _ in range(3)] == [True, True, False]


def test_an_unreachable_redis_locks_nobody_out():
    limiter = RateLimiter("redis://127.0.0.1:1/0")
    assert all(asyncio.run(limiter.allow("k", 1, 60)) for _ in range(3))
    assert all(limiter.allow_sync("k", 1, 60) for _ in range(3))


def test_no_limit_when_it_is_zero():
    limiter = RateLimiter()
    assert all(limiter.allow_sync("k", 0, 60) for _ in range(100))


def test_a_forwarded_address_counts_only_behind_our_own_proxy():
    trusted = frozenset({"127.0.0.1"})
    assert client_address("203.0.113.9", "198.51.100.1", trusted) == "203.0.113.9"  # forged by the client
    assert client_address("127.0.0.1", "198.51.100.1, 203.0.113.9", trusted) == "203.0.113.9"
    assert client_address("127.0.0.1", "not-an-ip", trusted) == "127.0.0.1"


def test_a_trusted_network_covers_proxies_whose_address_changes():
    """Kubernetes: the ingress controller's pods get a new address of the pod network at every restart."""
    trusted = frozenset({"10.42.0.0/16", "127.0.0.1"})
    assert client_address("10.42.7.19", "198.51.100.1, 203.0.113.9", trusted) == "203.0.113.9"
    # Two proxies of the network in a row: the client is the hop before them.
    assert client_address("10.42.7.19", "198.51.100.1, 203.0.113.9, 10.42.3.4", trusted) == "203.0.113.9"
    # A peer outside the network is the client, whatever it wrote.
    assert client_address("10.43.0.1", "198.51.100.1", trusted) == "10.43.0.1"
    assert client_address("203.0.113.9", "10.42.0.1", trusted) == "203.0.113.9"
    # An entry that is not a network trusts nobody.
    assert client_address("10.42.7.19", "198.51.100.1", frozenset({"10.42.0.0/99"})) == "10.42.7.19"


def test_addresses_are_kept_hashed_and_ipv6_by_its_64_network():
    assert "203.0.113.9" not in address_key("203.0.113.9")
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("203.0.113.9") != address_key("203.0.113.10")


def test_a_window_starts_with_its_first_event(limiter):
    assert limiter.allow_sync("k", 1, 0.3)
    time.sleep(0.35)
    assert limiter.allow_sync("k", 1, 0.3)


def test_compressed_ipv6_addresses_count_by_their_network_too():
    """`2001:db8::1` is 2001:db8:0:0::1: split on colons it looked like another network."""
    assert address_key("2001:db8::1") == address_key("2001:db8:0:0:ffff::2")
    assert address_key("::ffff:203.0.113.9") == address_key("203.0.113.9")
