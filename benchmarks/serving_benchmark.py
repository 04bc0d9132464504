"""Serving benchmark: latency, throughput, start time and memory.

Starts the real stack (action server + Rasa with the current model) on free
loopback ports with a throw-away tracker database, then drives a scripted
multi-turn conversation through the REST channel:
  - 1 client, conversations one after another: p50/p95 per turn;
  - 8 and 32 concurrent conversations: throughput (turns/s) and p95.
  - one long conversation (`--growth`, 240 turns by default): the median
    turn in each bucket of 24 turns, so a cost that grows with the
    conversation's length shows (last bucket / first bucket), and p95 over it.
Prints the server start time and the resident memory of each process.
Every loop is bounded; nothing leaves 127.0.0.1.

    .venv/bin/python -m benchmarks.serving_benchmark [--rounds N] [--growth TURNS]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import List, Sequence, Tuple

import aiohttp
import psutil

from bot.cli.serve import free_port, running_stack
from bot.settings import Settings

CONVERSATION = [
    "你好",
    "付款一直失败",
    "没解决",
    "网络没问题",
    "我已经重启过了",
    "转账手续费多少",
    "继续刚才的步骤",
    "解决了",
    "谢谢",
    "再见",
]


#: The long conversation: a guide, two "not solved", "solved", an FAQ, thanks and goodbye, again and again,
#: as a user who comes back several times a day within one session writes.
LONG_CONVERSATION = ["你好", "付款一直失败", "没解决", "没解决", "解决了", "转账手续费多少", "谢谢", "再见"]
BUCKET = 24


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def converse(session: aiohttp.ClientSession, url: str, texts: Sequence[str] = CONVERSATION,
                   sender: str | None = None) -> List[float]:
    """`texts` one after another from `sender` (a new one by default): each turn's latency."""
    sender = sender or f"bench-{uuid.uuid4().hex}"
    latencies = []
    for turn, text in enumerate(texts):
        started = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.json()
            if response.status != 200 or not body:
                raise RuntimeError(f"turn {turn} {text!r} failed: {response.status} {body}")
        latencies.append(time.perf_counter() - started)
    return latencies


async def drive(url: str, clients: int, conversations_each: int) -> Tuple[List[float], float]:
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def client() -> List[float]:
            latencies: List[float] = []
            for _ in range(conversations_each):
                latencies.extend(await converse(session, url))
            return latencies

        started = time.perf_counter()
        results = await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return [latency for result in results for latency in result], elapsed


async def long_conversation(url: str, turns: int) -> List[float]:
    """One conversation of `turns` turns, `LONG_CONVERSATION` again and again: each turn's latency."""
    texts = [LONG_CONVERSATION[turn % len(LONG_CONVERSATION)] for turn in range(turns)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        return await converse(session, url, texts)


def print_growth(latencies: List[float]) -> None:
    print(f"\nOne conversation of {len(latencies)} turns (median per bucket of {BUCKET} turns)\n")
    print(f"{'turns':<12}{'median ms':>10}")
    medians = []
    for start in range(0, len(latencies), BUCKET):
        bucket = latencies[start:start + BUCKET]
        medians.append(statistics.median(bucket))
        print(f"{f'{start + 1}-{start + len(bucket)}':<12}{medians[-1] * 1000:>10.1f}")
    print(f"last bucket / first bucket: x{medians[-1] / medians[0]:.2f}; "
          f"p95 over the conversation {percentile(latencies, 0.95) * 1000:.1f} ms")


def rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="conversations of the single client")
    parser.add_argument("--growth", type=int, default=240, help="turns of the long conversation (0: skip it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            # A benchmark is one client sending far more than a user would: no rate limits.
            rate_messages_per_minute=0, rate_messages_per_minute_per_address=0,
            rate_new_visitors_per_hour_per_address=0,
            rasa_port=free_port(), action_port=free_port(),
            tracker_db=Path(tmp, "bench.db"), log_dir=Path(tmp, "log"),
        )
        with running_stack(settings) as stack:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            asyncio.run(drive(url, 1, 2))  # warm-up, not measured
            rows = []
            single, _ = asyncio.run(drive(url, 1, args.rounds))
            rows.append(("1 client", len(single), None, single))
            for clients in (8, 32):
                latencies, elapsed = asyncio.run(drive(url, clients, 3))
                rows.append((f"{clients} concurrent", len(latencies), len(latencies) / elapsed, latencies))
            growth = asyncio.run(long_conversation(url, args.growth)) if args.growth else []
            memory = {name: rss_mb(process.pid) for name, process in stack.processes.items()}
            print(f"\nServing benchmark: a {len(CONVERSATION)}-turn scripted conversation "
                  "through the REST channel, with the action server\n")
            print(f"{'load':<16}{'turns':>7}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
            for name, turns, throughput, latencies in rows:
                rate = f"{throughput:>9.1f}" if throughput else f"{'':>9}"
                print(f"{name:<16}{turns:>7}{rate}{statistics.median(latencies) * 1000:>9.1f}"
                      f"{percentile(latencies, 0.95) * 1000:>9.1f}")
            print(f"\nready after start: action server {stack.ready_after['actions']:.1f} s, "
                  f"Rasa server {stack.ready_after['rasa']:.1f} s (model loaded)")
            print("resident memory: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in memory.items()))
            if growth:
                print_growth(growth)


if __name__ == "__main__":
    main()
