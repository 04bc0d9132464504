"""The console's live view: how long a stored event takes to reach open pages, and what open pages cost at rest.

Runs the console (its real app, in this process, on a loopback port) against a
throw-away ticket database with one open ticket per page, and Rasa's side as
its event broker (`bot.stream.broker.StreamBroker`) writing the stream the
console follows: a SQLite file, or a key on the machine's Redis (`--redis`).
For each number of open pages (`--pages 1 10 50 200`), and with the stream
already holding `--history` older entries:
  - push latency: a user's message stored for one ticket's conversation →
    `event: ticket` on that ticket's page (p50/p95 over `--events` messages);
  - fan-out: an event that changes the queue → `event: queue` on every page
    (time until the last page has it);
  - at rest, for `--idle` seconds: the console's CPU seconds, its database
    queries and its requests to Rasa (there is no Rasa; any request counts).
Nothing leaves 127.0.0.1.

    .venv/bin/python -m benchmarks.live_benchmark [--pages 1 10 50 200] [--events 40] [--idle 10]
        [--history 0 100000] [--redis]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import aiohttp
from aiohttp import web

from bot.console.app import CONSOLE, create_app
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.settings import Settings
from bot.stream.backends import open_stream
from bot.stream.broker import StreamBroker
from bot.stream.feed import EventFeed
from tests.console.conftest import FakeRasa
from tests.servers import free_port
from tests.ticket_factories import PASSWORD, make_agent, make_ticket


class Page:
    """One open page: its own session (cookie) and its event stream."""

    def __init__(self, http: aiohttp.ClientSession, response: aiohttp.ClientResponse) -> None:
        self.http, self.response = http, response
        self.seen: Dict[str, List[float]] = {}
        self.task: asyncio.Task | None = None

    async def read(self) -> None:
        async for block in _blocks(self.response):
            fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and not line.startswith(":"))
            if "event" in fields:
                data = json.loads(fields.get("data") or "{}")
                key = f"{fields['event']}:{data.get('number', '')}"
                self.seen.setdefault(key, []).append(time.perf_counter())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.response.close()
        await self.http.close()


async def _blocks(response: aiohttp.ClientResponse):
    buffer = ""
    async for chunk in response.content.iter_any():
        buffer += chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            yield block


def _world(url: str, pages: int) -> List[str]:
    upgrade(url)
    database = Database(url)
    numbers = []
    with database.session() as session:
        make_agent(session, "boss", role="supervisor", name="主管")
        for n in range(pages):
            numbers.append(make_ticket(session, f"widget:u:bench-{n}", queued=True, channel="widget").number)
    database.dispose()
    return numbers


async def _wait(condition, timeout: float = 10.0) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.002)
    return False


def _quantile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


async def measure(pages: int, events: int, idle_s: float, history: int, stream_url: str, key: str, home: Path
                  ) -> Dict[str, Any]:
    db_url = f"sqlite:///{home / f'tickets-{pages}-{history}.db'}"
    numbers = _world(db_url, pages)
    broker = StreamBroker(stream_url, key=key)
    for start in range(0, history, 1000):
        broker.stream.append([{"event": "user", "sender_id": f"old:{n}", "text": "以前的消息"}
                              for n in range(start, min(history, start + 1000))])
    database = Database(db_url)
    rasa = FakeRasa()
    settings = Settings(database_url=db_url, agent_capacity=pages + 1)
    app = create_app(settings, database, rasa, feed=EventFeed(stream_url, key=key))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    console = app[CONSOLE]
    queries = {"n": 0}
    real_db = console.db

    async def counted(work):
        queries["n"] += 1
        return await real_db(work)

    console.db = counted
    opened: List[Page] = []
    try:
        for _ in range(pages):
            http = aiohttp.ClientSession()
            answer = await http.post(f"{base}/api/login", json={"username": "boss", "password": PASSWORD})
            assert answer.status == 200, await answer.text()
            token = (await answer.json())["token"]
            response = await http.get(f"{base}/api/live", headers={"Authorization": f"Bearer {token}"},
                                      timeout=aiohttp.ClientTimeout(total=None))
            assert response.status == 200, response.status
            page = Page(http, response)
            page.task = asyncio.create_task(page.read())
            opened.append(page)
        await _wait(lambda: all("hello:" in page.seen for page in opened))
        await asyncio.sleep(0.5)

        latencies = []
        for n in range(events):
            number = numbers[n % pages]
            target = opened[n % pages]
            before = len(target.seen.get(f"ticket:{number}", []))
            started = time.perf_counter()
            broker.publish({"event": "user", "sender_id": f"widget:u:bench-{n % pages}", "text": "还在吗"})
            if await _wait(lambda t=target, k=f"ticket:{number}", b=before: len(t.seen.get(k, [])) > b):
                latencies.append(target.seen[f"ticket:{number}"][-1] - started)
            await asyncio.sleep(random.uniform(0.05, 0.35))  # not in step with the feed's polling

        started = time.perf_counter()
        broker.publish({"event": "pause", "sender_id": "widget:u:new"})
        await _wait(lambda: all("queue:" in page.seen for page in opened))
        fan_out = max(page.seen["queue:"][0] for page in opened) - started

        await asyncio.sleep(1.0)
        queries["n"], rasa_before = 0, rasa.reads + rasa.call_count()
        import resource

        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.sleep(idle_s)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        idle_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        return {"pages": pages, "history": history, "p50_ms": _quantile(latencies, 0.5) * 1000,
                "p95_ms": _quantile(latencies, 0.95) * 1000, "received": len(latencies), "sent": events,
                "fan_out_ms": fan_out * 1000, "idle_cpu_s": idle_cpu, "idle_queries": queries["n"],
                "idle_rasa_calls": rasa.reads + rasa.call_count() - rasa_before}
    finally:
        for page in opened:
            await page.close()
        await runner.cleanup()
        database.dispose()
        broker.stream.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--history", type=int, nargs="+", default=[0, 100_000])
    parser.add_argument("--redis", action="store_true", help="the stream on Redis (127.0.0.1:6379/0) instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        kind = "Redis" if args.redis else "SQLite"
        print(f"stream on {kind}; {args.events} messages per row, at rest {args.idle:.0f} s "
              f"(idle CPU is the whole benchmark process, pages' readers included)")
        print("| open pages | stream history | push p50 (ms) | push p95 (ms) | received | queue fan-out to all (ms) "
              "| idle CPU (s) | idle queries | idle Rasa calls |")
        print("|---|---|---|---|---|---|---|---|---|")
        for history in args.history:
            for pages in args.pages:
                key = f"okpay:bench:{time.time_ns()}"  # a key of its own on the machine's Redis
                url = "redis://127.0.0.1:6379/0" if args.redis else f"sqlite:///{home / f'stream-{pages}-{history}.db'}"
                try:
                    result = asyncio.run(measure(pages, args.events, args.idle, history, url, key, home))
                finally:
                    if args.redis:
                        stream = open_stream(url, key=key)
                        stream.client.delete(key)
                        stream.close()
                print(f"| {result['pages']} | {result['history']:,} | {result['p50_ms']:.1f} | {result['p95_ms']:.1f} "
                      f"| {result['received']}/{result['sent']} | {result['fan_out_ms']:.1f} "
                      f"| {result['idle_cpu_s']:.2f} | {result['idle_queries']} | {result['idle_rasa_calls']} |")


if __name__ == "__main__":
    main()
