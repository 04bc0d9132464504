"""Open console pages are told what changed by push (GET /api/live), without asking Rasa anything at rest.

Rasa's side is its event broker (`bot.stream.broker.StreamBroker`, as endpoints.yml names it) writing to a
stream file of the test's; the console follows the same file.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, Tuple

import pytest

from bot.console import live
from bot.console.app import CONSOLE
from bot.stream.broker import StreamBroker
from bot.stream.feed import EventFeed
from bot.tickets import store
from tests.console.conftest import run, sign_in
from tests.ticket_factories import make_agent, make_ticket

pytestmark = pytest.mark.integration


@pytest.fixture
def world(console_db):
    """li and wang; a queued ticket anyone may claim, and one wang handles."""
    with console_db.session() as session:
        li, wang = make_agent(session, "li", name="小李"), make_agent(session, "wang", name="小王")
        queued = make_ticket(session, "rest:waiting-user", queued=True, channel="rest")
        handled = make_ticket(session, "rest:wangs-user", queued=True, channel="rest")
        store.claim(session, handled.id, wang, 3)
        return {"li": li.username, "queued": queued.number, "handled": handled.number}


@pytest.fixture
def stream_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'event_stream.db'}"


class Page:
    """An open page's event stream, read as a browser's EventSource reads it."""

    def __init__(self, response: Any) -> None:
        self.response = response

    async def next(self, timeout: float) -> Tuple[str, Dict[str, Any]] | None:
        """The next event (comments skipped), or None when none came within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                block = await asyncio.wait_for(self.response.content.readuntil(b"\n\n"), left)
            except asyncio.TimeoutError:
                return None
            if not block:
                return ("end", {})
            fields = dict(line.split(": ", 1) for line in block.decode().strip().split("\n")
                          if ": " in line and not line.startswith(":"))
            if "event" in fields:
                return fields["event"], json.loads(fields.get("data") or "{}")


async def open_page(client: Any) -> Page:
    response = await client.get("/api/live")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/event-stream")
    page = Page(response)
    assert await page.next(2) == ("hello", {})
    return page


async def following_page(client: Any, username: str) -> Page:
    """`username` signed in with an open page, once the console follows the stream (it starts from "now")."""
    await sign_in(client, username)
    page = await open_page(client)
    await asyncio.sleep(0.3)
    return page


@pytest.fixture
def rasa_side(stream_url) -> StreamBroker:
    """Rasa's event broker, as endpoints.yml names it, writing the stream the console follows."""
    return StreamBroker(stream_url)


def test_a_users_message_reaches_an_open_page_within_a_second_with_no_rasa_call(
        console_settings, console_db, world, stream_url, rasa_side):
    async def scenario(client, rasa):
        page = await following_page(client, world["li"])
        started = time.monotonic()
        rasa_side.publish({"event": "user", "sender_id": "rest:waiting-user", "text": "还有人在吗", "timestamp": 1.0})
        assert await page.next(1.0) == ("ticket", {"number": world["queued"]})
        print(f"pushed in {time.monotonic() - started:.3f} s")
        assert rasa.call_count() == 0

    run(console_settings, console_db, scenario, feed=EventFeed(stream_url))


def test_pages_hear_only_of_tickets_their_agent_may_open_and_of_queue_changes(
        console_settings, console_db, world, stream_url, rasa_side):
    async def scenario(client, rasa):
        page = await following_page(client, world["li"])
        rasa_side.publish({"event": "user", "sender_id": "rest:wangs-user", "text": "我的卡号 [已隐藏]"})
        rasa_side.publish({"event": "user", "sender_id": "rest:no-ticket", "text": "你好"})
        assert await page.next(1.0) is None  # wang's conversation and one without a ticket: nothing for li
        rasa_side.publish({"event": "action", "name": "action_open_ticket", "sender_id": "rest:new-user"})
        rasa_side.publish({"event": "pause", "sender_id": "rest:new-user"})
        assert await page.next(1.0) == ("queue", {})
        assert rasa.call_count() == 0

    run(console_settings, console_db, scenario, feed=EventFeed(stream_url))


def test_an_open_page_at_rest_costs_no_rasa_call_and_no_query(console_settings, console_db, world, stream_url,
                                                               monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT_S", 0.5)

    async def scenario(client, rasa):
        await sign_in(client, world["li"])
        page = await open_page(client)
        queries = []
        console = client.server.app[CONSOLE]
        real_db = console.db

        async def counted(work):
            queries.append(work)
            return await real_db(work)

        console.db = counted
        assert await page.next(3.0) is None  # 3 s at rest: keep-alive comments only
        assert rasa.call_count() == 0 and rasa.reads == 0
        assert len(queries) <= 6  # the sign-in check at each heartbeat, nothing per ticket

    run(console_settings, console_db, scenario, feed=EventFeed(stream_url))


def test_the_consoles_own_changes_and_a_sign_out_reach_the_open_pages(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, world["li"])
        page = await open_page(client)
        claimed = await client.post(f"/api/tickets/{world['queued']}/claim", json={})
        assert claimed.status == 200
        told = [await page.next(1.0), await page.next(1.0)]
        assert sorted(told) == [("queue", {}), ("ticket", {"number": world["queued"]})]
        assert (await client.post("/api/presence", json={"status": "away"})).status == 200
        assert await page.next(1.0) == ("agents", {})
        assert (await client.post("/api/logout", json={})).status == 200
        assert await page.next(1.0) in (("agents", {}), ("end", {}))
        assert (await client.get("/api/live")).status == 401

    run(console_settings, console_db, scenario)


def test_a_page_that_missed_events_is_told_to_read_everything_again():
    subscriber = live.Subscriber(agent_id=1, token="t")
    for n in range(live.QUEUE_LIMIT + 5):
        subscriber.tell("ticket", {"number": str(n)})
    assert subscriber.waiting.qsize() == 1
    assert asyncio.run(subscriber.next(1)) == ("resync", {})
    subscriber.tell("ticket", {"number": "again"})  # read: told again as before
    assert asyncio.run(subscriber.next(1)) == ("ticket", {"number": "again"})


def test_queue_changing_events():
    assert live.changes_queue({"event": "pause"}) and live.changes_queue({"event": "resume"})
    assert live.changes_queue({"event": "action", "name": "action_cancel_handoff"})
    assert not live.changes_queue({"event": "action", "name": "action_listen"})
    assert not live.changes_queue({"event": "user", "text": "pause"})
