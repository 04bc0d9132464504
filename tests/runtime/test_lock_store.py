"""The atomic Redis lock store against the local Redis: one conversation, one process at a time."""
from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from rasa.core.lock_store import LockError, RedisLockStore

from bot.runtime.lock_store import AtomicRedisLockStore, FastInMemoryLockStore


@pytest.fixture
def prefix(redis_url):
    """An alphanumeric key prefix of this test's own (Rasa refuses others); keys deleted afterwards."""
    import redis

    value = "okpaytest" + uuid.uuid4().hex
    yield value
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{value}:*"):
        client.delete(key)
    client.close()


def replica(prefix: str, port: int = 6379) -> AtomicRedisLockStore:
    """A lock store as one Rasa replica has it (each its own connection)."""
    return AtomicRedisLockStore(host="127.0.0.1", port=port, db=0, key_prefix=prefix, socket_timeout=1)


def test_tickets_taken_at_the_same_moment_by_several_replicas_are_all_different(prefix):
    stores = [replica(prefix) for _ in range(8)]
    tickets: list = []
    start = threading.Barrier(len(stores))

    def take(store: AtomicRedisLockStore) -> None:
        start.wait()
        for _ in range(25):
            tickets.append(store.issue_ticket("conv", 30))

    threads = [threading.Thread(target=take, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(200))
    assert len(replica(prefix).get_lock("conv").tickets) == 200


def test_two_replicas_never_hold_the_same_conversation_at_once(prefix):
    async def scenario() -> tuple:
        stores = [replica(prefix), replica(prefix)]
        holding, overlaps, done = 0, 0, 0

        async def message(store: AtomicRedisLockStore) -> None:
            nonlocal holding, overlaps, done
            async with store.lock("conv", lock_lifetime=10):
                holding += 1
                overlaps += holding > 1
                await asyncio.sleep(0.005)
                holding -= 1
                done += 1

        await asyncio.gather(*(message(stores[i % 2]) for i in range(40)))
        return overlaps, done

    overlaps, done = asyncio.run(scenario())
    assert (overlaps, done) == (0, 40)
    assert replica(prefix).get_lock("conv") is None  # the last one out deleted it


def test_a_lock_left_by_a_killed_replica_frees_itself_after_its_lifetime(prefix):
    dead = replica(prefix)
    dead_ticket = dead.issue_ticket("conv", lock_lifetime=1)  # took the lock, then "died" without giving it back

    async def next_message() -> list:
        async with replica(prefix).lock("conv", lock_lifetime=5) as lock:
            return [ticket.number for ticket in lock.tickets]

    serving = asyncio.run(next_message())
    assert dead_ticket not in serving and len(serving) == 1


def test_the_key_expires_by_itself(prefix, redis_url):
    import redis

    replica(prefix).issue_ticket("conv", lock_lifetime=2)
    ttl = redis.Redis.from_url(redis_url).ttl(f"{prefix}:lock:conv")
    assert 0 < ttl <= 2 + 5


def test_an_unreachable_redis_is_a_lock_error_not_a_silent_pass():
    from tests.servers import free_port

    store = replica("okpaydown", port=free_port())
    with pytest.raises(LockError):
        store.issue_ticket("conv", 10)


def test_giving_back_a_ticket_when_redis_went_away_is_logged_not_raised(caplog):
    from tests.servers import free_port

    replica("okpaydown", port=free_port()).cleanup("conv", 0)
    assert "expires by itself" in caplog.text


def test_built_from_an_endpoints_file_entry(prefix):
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig(url="127.0.0.1", type="bot.runtime.lock_store.AtomicRedisLockStore",
                            port=6379, db=0, password=None, key_prefix=prefix)
    from rasa.core.lock_store import LockStore

    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore) and isinstance(store, RedisLockStore)
    assert store.key_prefix == f"{prefix}:lock:"


def test_a_busy_lock_is_looked_at_again_after_20_ms_not_after_a_second(monkeypatch):
    import rasa.core.lock_store

    pauses: list = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        pauses.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(rasa.core.lock_store.asyncio, "sleep", recording_sleep)

    async def burst() -> None:
        store = FastInMemoryLockStore()

        async def message() -> None:
            async with store.lock("conv"):
                await real_sleep(0.001)

        await asyncio.gather(*(message() for _ in range(5)))

    asyncio.run(burst())
    assert pauses and set(pauses) == {0.02}


def test_a_turn_longer_than_the_lock_lifetime_keeps_its_lock(prefix):
    """A slow turn (database slow, retry pauses) must not let a second turn of the conversation start."""

    async def scenario() -> list:
        order = []

        async def slow_turn() -> None:
            async with replica(prefix).lock("conv", lock_lifetime=0.6):
                order.append("slow starts")
                await asyncio.sleep(2.0)  # more than three lifetimes
                order.append("slow ends")

        async def next_turn() -> None:
            await asyncio.sleep(0.2)
            async with replica(prefix).lock("conv", lock_lifetime=0.6):
                order.append("next starts")

        await asyncio.gather(slow_turn(), next_turn())
        return order

    assert asyncio.run(scenario()) == ["slow starts", "slow ends", "next starts"]


def test_the_lock_is_stored_as_rasa_stores_it(prefix):
    """Rasa's own store reads the lock our script writes: tickets in order, expiring ones dropped."""
    import time

    ours = replica(prefix)
    rasas = RedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)
    first, second, third = (ours.issue_ticket("c1", 30) for _ in range(3))
    assert (first, second, third) == (0, 1, 2)
    lock = rasas.get_lock("c1")
    assert [t.number for t in lock.tickets] == [0, 1, 2] and lock.now_serving == 0
    assert all(time.time() + 25 < t.expires < time.time() + 31 for t in lock.tickets)
    ours.cleanup("c1", first)
    assert rasas.get_lock("c1").now_serving == 1
    ours.cleanup("c1", second)
    ours.cleanup("c1", third)
    assert rasas.get_lock("c1") is None  # the last ticket given back: the key is gone


def test_a_lost_waiting_ticket_is_put_back_in_its_place_and_expired_ones_dropped(prefix):
    ours = replica(prefix)
    rasas = RedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=prefix)
    for _ in range(3):
        ours.issue_ticket("c1", 30)
    ours.cleanup("c1", 1)  # as if ticket 1 had expired while its process was paused
    assert ours._renew_waiting("c1", 1, 30) == 0
    assert [t.number for t in rasas.get_lock("c1").tickets] == [0, 1, 2]
    ours.issue_ticket("c2", -1)  # already expired
    ours.update_lock("c2")
    assert rasas.get_lock("c2") is None


async def _second_waits_for_the_first(store, hold_s: float) -> None:
    """Two turns of one conversation: the second waits `hold_s` for the first one's lock."""
    taken = asyncio.Event()

    async def first() -> None:
        async with store.lock("conv-metrics", lock_lifetime=10):
            taken.set()
            await asyncio.sleep(hold_s)

    async def second() -> None:
        await taken.wait()
        async with store.lock("conv-metrics", lock_lifetime=10):
            pass

    await asyncio.gather(first(), second())


def _assert_the_second_wait_is_measured(store) -> None:
    from tests.metrics_reading import Snapshot

    snapshot = Snapshot()
    asyncio.run(_second_waits_for_the_first(store, 0.3))
    assert snapshot.delta("okpay_lock_wait_seconds_count") == 2
    assert 0.25 <= snapshot.delta("okpay_lock_wait_seconds_sum") < 2.0
    # The first took it at once, the second waited the first one's hold.
    assert snapshot.delta("okpay_lock_wait_seconds_bucket", le="0.1") == 1
    assert snapshot.delta("okpay_lock_wait_seconds_bucket", le="0.25") == 1
    assert snapshot.delta("okpay_lock_wait_seconds_bucket", le="0.5") == 2


def test_the_wait_for_a_conversations_lock_is_measured_in_one_process():
    _assert_the_second_wait_is_measured(FastInMemoryLockStore())


def test_the_wait_for_a_conversations_lock_is_measured_across_replicas(prefix):
    _assert_the_second_wait_is_measured(replica(prefix))
