"""Serving benchmark: latency, throughput, start time and memory.

Starts the real stack (action server + Rasa with the current model) on free
loopback ports with a throw-away tracker database, then drives a scripted
multi-turn conversation through the REST channel:
  - 1 client, conversations one after another: p50/p95 per turn;
  - 16 and 32 concurrent conversations: throughput (turns/s) and p95.
  - one long conversation (`--growth`, 240 turns by default): the median
    turn in each bucket of 24 turns, so a cost that grows with the
    conversation's length shows (last bucket / first bucket), and p95 over it.
Prints the Rasa server's start time and resident memory. Each set-up runs
`--runs` times, alternating which goes first, and every figure is printed as
the median over the runs with their range: ours (the README's serve command)
beside stock Rasa (`python -m rasa run` with Rasa's `rest` channel and SQL
tracker store) serving the same model with the same action server, on the same
machine in the same run. Since issue 15 the model's rule policy applies
`bot.rasa_patches` in every process that loads it, stock `rasa run` included:
the stock column has those five patches, and none of our channels, stores,
event broker or message guard.
Every loop is bounded; nothing leaves 127.0.0.1.

    .venv/bin/python -m benchmarks.serving_benchmark [--rounds N] [--growth TURNS] [--runs N] [--no-stock]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import aiohttp
import psutil

from bot.cli.serve import Stack, running_stack
from bot.settings import Settings
from tests.servers import free_port, stock_rasa_run

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
#: Concurrent conversations of the throughput rows.
CONCURRENCY = (16, 32)


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


async def long_conversation(url: str, turns: int, sender: str | None = None) -> List[float]:
    """One conversation of `turns` turns, `LONG_CONVERSATION` again and again: each turn's latency."""
    texts = [LONG_CONVERSATION[turn % len(LONG_CONVERSATION)] for turn in range(turns)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        return await converse(session, url, texts, sender)


async def console_polls(stack: Stack, conversation: str, polls: int = 30) -> Tuple[float, float, int]:
    """What the console's transcript poll of `conversation` costs when nothing is new: Rasa's API (the whole
    tracker, as the console read it before) and the events route (`after` its last event); medians, and the
    conversation's events."""
    whole, new = [], []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        total = 0
        for _ in range(polls):
            started = time.perf_counter()
            async with session.get(f"{stack.rasa_url}/conversations/{conversation}/tracker",
                                   params={"include_events": "ALL"}, headers=stack.api_headers()) as response:
                total = len((await response.json())["events"])
            whole.append(time.perf_counter() - started)
        for _ in range(polls):
            started = time.perf_counter()
            async with session.get(f"{stack.rasa_url}/webhooks/okpay_events/conversations/{conversation}/events",
                                   params={"after": str(total - 1)}, headers=stack.api_headers()) as response:
                page = await response.json()
                if page["events"] or page["total"] != total:
                    raise RuntimeError(f"the events route disagrees with Rasa's API: {page}")
            new.append(time.perf_counter() - started)
    return statistics.median(whole), statistics.median(new), total


def rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


#: Stock Rasa: Rasa's own `rest` channel and SQL tracker store, no lock store named, none of our runtime
#: changes (`python -m rasa run`), the same model and action server.
STOCK_ENDPOINTS = """action_endpoint:
  url: ${OKPAY_ACTION_ENDPOINT_URL}
  headers:
    X-OKPay-Action-Secret: ${OKPAY_ACTION_SECRET}
tracker_store:
  type: SQL
  dialect: sqlite
  db: %s
"""


@contextlib.contextmanager
def stock_rasa(stack: Stack, folder: Path) -> Iterator[Tuple[str, int, float]]:
    """`rasa run` beside our stack, with Rasa's own channel and store: its REST URL, its pid and how long it took
    to answer."""
    endpoints, credentials = folder / "stock-endpoints.yml", folder / "stock-credentials.yml"
    endpoints.write_text(STOCK_ENDPOINTS % (folder / "stock.db"), encoding="utf-8")
    credentials.write_text("rest:\n", encoding="utf-8")
    with stock_rasa_run(stack, endpoints, credentials) as (base_url, pid, ready):
        yield f"{base_url}/webhooks/rest/webhook", pid, ready


@dataclass
class Run:
    """One set-up's figures in one run."""

    loads: Dict[str, Tuple[float | None, float, float]] = field(default_factory=dict)  # turns/s, p50 s, p95 s
    growth: List[float] = field(default_factory=list)
    #: Console poll of a conversation, by its turns: Rasa's whole tracker, the events route (s), its events.
    polls: Dict[int, Tuple[float, float, int]] = field(default_factory=dict)
    ready_s: float = 0.0
    rss_mb: float = 0.0


def benchmark_settings(folder: Path) -> Settings:
    """The embedded stack on free loopback ports, its stores and logs in `folder`, without rate limits
    (a benchmark is one client sending far more than a user would)."""
    return Settings(
        rate_messages_per_minute=0, rate_messages_per_minute_per_address=0,
        rate_new_visitors_per_hour_per_address=0,
        rasa_port=free_port(), action_port=free_port(),
        tracker_db=folder / "bench.db", log_dir=folder / "log",
    )


def measure(url: str, rounds: int, growth_turns: int, stack: Stack | None = None) -> Run:
    asyncio.run(drive(url, 1, 2))  # warm-up, not measured
    run = Run()
    single, _ = asyncio.run(drive(url, 1, rounds))
    run.loads["1 client"] = (None, statistics.median(single), percentile(single, 0.95))
    for clients in CONCURRENCY:
        latencies, elapsed = asyncio.run(drive(url, clients, 3))
        run.loads[f"{clients} concurrent"] = (len(latencies) / elapsed, statistics.median(latencies),
                                              percentile(latencies, 0.95))
    sender = f"bench-long-{uuid.uuid4().hex}"
    run.growth = asyncio.run(long_conversation(url, growth_turns, sender)) if growth_turns else []
    if stack is not None and growth_turns:
        short = f"bench-short-{uuid.uuid4().hex}"
        asyncio.run(long_conversation(url, len(CONVERSATION), short))
        for turns, name in ((len(CONVERSATION), short), (growth_turns, sender)):
            run.polls[turns] = asyncio.run(console_polls(stack, f"rest:{name}"))
    return run


def spread(values: List[float], scale: float = 1.0, digits: int = 1) -> str:
    """'12.3' for one value, 'median (min–max)' for several."""
    values = [value * scale for value in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def growth_figures(latencies: List[float]) -> Tuple[List[float], float, float]:
    """Median per bucket, last/first ratio and p95 of one long conversation."""
    medians = [statistics.median(latencies[start:start + BUCKET]) for start in range(0, len(latencies), BUCKET)]
    return medians, medians[-1] / medians[0], percentile(latencies, 0.95)


def report(runs: Dict[str, List[Run]]) -> None:
    names = list(runs)
    count = len(runs[names[0]])
    print(f"\nServing benchmark: a {len(CONVERSATION)}-turn scripted conversation through the REST channel, "
          f"with the action server; {count} run(s) per set-up, alternating; median (min–max) over runs\n")
    width = 24
    print(f"{'':<28}" + "".join(f"{name:>{width}}" for name in names))
    for load in runs[names[0]][0].loads:
        for label, index, scale in (("turns/s", 0, 1.0), ("p50 ms", 1, 1000.0), ("p95 ms", 2, 1000.0)):
            if index == 0 and load == "1 client":
                continue
            cells = [spread([run.loads[load][index] for run in runs[name]], scale) for name in names]
            print(f"{load + ' ' + label:<28}" + "".join(f"{cell:>{width}}" for cell in cells))
    for label, attribute in (("ready after start (s)", "ready_s"), ("resident memory (MB)", "rss_mb")):
        cells = [spread([getattr(run, attribute) for run in runs[name]], digits=1 if "s)" in label else 0)
                 for name in names]
        print(f"{label:<28}" + "".join(f"{cell:>{width}}" for cell in cells))
    if not runs[names[0]][0].growth:
        return
    turns = len(runs[names[0]][0].growth)
    print(f"\nOne conversation of {turns} turns: median per bucket of {BUCKET} turns (ms)\n")
    print(f"{'turns':<28}" + "".join(f"{name:>{width}}" for name in names))
    figures = {name: [growth_figures(run.growth) for run in runs[name]] for name in names}
    for bucket, start in enumerate(range(0, turns, BUCKET)):
        cells = [spread([medians[bucket] for medians, _, _ in figures[name]], 1000.0) for name in names]
        print(f"{f'{start + 1}-{min(turns, start + BUCKET)}':<28}" + "".join(f"{cell:>{width}}" for cell in cells))
    cells = [spread([ratio for _, ratio, _ in figures[name]], digits=2) for name in names]
    print(f"{'last bucket / first':<28}" + "".join(f"{'x' + cell:>{width}}" for cell in cells))
    cells = [spread([p95 for _, _, p95 in figures[name]], 1000.0) for name in names]
    print(f"{'p95 over the conversation':<28}" + "".join(f"{cell:>{width}}" for cell in cells))
    ours = [run for run in runs[names[0]] if run.polls]
    if ours:
        print("\nThe console's transcript poll of one conversation, nothing new (ours; median ms)\n")
        print(f"{'turns (events)':<28}{'Rasa API, whole tracker':>{width}}{'events route, after':>{width}}")
        for turns in ours[0].polls:
            events = ours[0].polls[turns][2]
            cells = [spread([run.polls[turns][index] for run in ours], 1000.0) for index in (0, 1)]
            print(f"{f'{turns} ({events})':<28}" + "".join(f"{cell:>{width}}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="conversations of the single client")
    parser.add_argument("--growth", type=int, default=240, help="turns of the long conversation (0: skip it)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each set-up, alternating their order")
    parser.add_argument("--no-stock", action="store_true", help="measure ours only")
    args = parser.parse_args()
    runs: Dict[str, List[Run]] = {"ours": []} if args.no_stock else {"ours": [], "stock rasa run": []}
    with tempfile.TemporaryDirectory() as tmp:
        with running_stack(benchmark_settings(Path(tmp))) as stack:
            ours_url = f"{stack.rasa_url}/webhooks/rest/webhook"
            rasa_pid = stack.pid("rasa")
            for index in range(args.runs):
                order = list(runs) if index % 2 == 0 else list(reversed(runs))
                for name in order:
                    if name == "ours":
                        run = measure(ours_url, args.rounds, args.growth, stack)
                        run.ready_s, run.rss_mb = stack.ready_after["rasa"], rss_mb(rasa_pid)
                    else:
                        with stock_rasa(stack, Path(tmp)) as (url, pid, ready):
                            run = measure(url, args.rounds, args.growth)
                            run.ready_s, run.rss_mb = ready, rss_mb(pid)
                    runs[name].append(run)
                    print(f"run {index + 1}, {name}: done", flush=True)
            print(f"action server: ready after {stack.ready_after['actions']:.1f} s, "
                  f"{rss_mb(stack.pid('actions')):.0f} MB resident")
    report(runs)


if __name__ == "__main__":
    main()
