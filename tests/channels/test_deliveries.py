"""The delivery ledger: handled once, never lost when the process handling a delivery dies."""
from __future__ import annotations

import asyncio

import pytest

from bot.channels.deliveries import DeliveryLedger, State


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(params=["memory", "redis"])
def ledger_factory(request):
    def make(**kwargs) -> DeliveryLedger:
        if request.param == "memory":
            return DeliveryLedger(**kwargs)
        url = request.getfixturevalue("redis_url")
        return DeliveryLedger(url, prefix=url.prefix, **kwargs)

    return make


def test_a_delivery_is_handled_once_and_repeats_get_the_saved_reply(ledger_factory):
    async def scenario():
        first, second = ledger_factory(), ledger_factory()
        shared = first if not first.redis_url else second  # memory: one process; Redis: two
        assert (await first.claim("m1")).state is State.NEW
        assert (await shared.claim("m1")).state is State.IN_PROGRESS
        await first.finish("m1", "<xml>答复</xml>")
        done = await shared.claim("m1")
        assert done.state is State.DONE and done.reply == "<xml>答复</xml>" and not done.handle
        await first.finish("m2")
        assert (await shared.claim("m2")).reply is None
        await first.close()
        await second.close()

    run(scenario())


def test_a_delivery_whose_process_died_mid_turn_is_handled_again_as_a_redelivery(ledger_factory):
    async def scenario():
        ledger = ledger_factory(processing_ttl_s=0.2)
        assert (await ledger.claim("m1")).state is State.NEW
        # … the process dies: nobody renews the mark and nobody marks it done.
        await asyncio.sleep(0.35)
        again = await ledger.claim("m1")
        assert again.state is State.RETRY and again.handle
        await ledger.close()

    run(scenario())


def test_a_turn_that_runs_long_keeps_its_mark(ledger_factory):
    async def scenario():
        ledger = ledger_factory(processing_ttl_s=0.3)
        assert (await ledger.claim("m1")).state is State.NEW
        async with ledger.processing("m1"):
            await asyncio.sleep(0.8)  # well past the mark's lifetime: renewed meanwhile
            assert (await ledger.claim("m1")).state is State.IN_PROGRESS
        await ledger.finish("m1")
        assert (await ledger.claim("m1")).state is State.DONE
        await ledger.close()

    run(scenario())


def test_when_redis_is_down_the_delivery_is_handled_not_lost():
    async def scenario():
        ledger = DeliveryLedger("redis://127.0.0.1:1/0")
        assert (await ledger.claim("m1")).handle
        await ledger.renew("m1")
        await ledger.finish("m1", "x")
        await ledger.close()

    run(scenario())
