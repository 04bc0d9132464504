"""Load benchmark: one Rasa process versus the replicated set-up, in the same run.

Starts the replicated deployment (nginx, PostgreSQL, Redis) twice on free
loopback ports, each time in a fresh PostgreSQL database: first with one Rasa
process and one action server behind nginx, then with `--replicas` of each.
Each time it drives the same load through the public balancer (many
conversations at once, several senders per conversation sending at the same
time; tests/production/load.py), then reads PostgreSQL to check that every
message was stored exactly once and in order. Prints turns per second,
p50/p95 per turn, failures, and the resident memory of every process.

    .venv/bin/python -m benchmarks.load_benchmark [--conversations 24] [--senders 2] [--turns 8] [--replicas 2]
        [--runs 3]

Each set-up runs `--runs` times, alternating which goes first (the machine's speed drifts), and every
figure is printed as the median over the runs with their range.

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (trust auth),
nginx, and a trained model (scripts/train).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Dict, List

import psutil
from sqlalchemy import create_engine, text

from bot.cli.serve import running_stack
from bot.settings import Settings
from tests.production.load import LoadResult, run_load, tracker_problems
from tests.servers import replicated_ports

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def resident_mb(stack) -> Dict[str, float]:
    sizes = {}
    for name, pid in stack.pids().items():
        try:
            parent = psutil.Process(pid)
            sizes[name] = sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20
        except psutil.NoSuchProcess:
            sizes[name] = 0.0
    return sizes


def fresh_database() -> str:
    name = f"okpay_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def drop_database(name: str) -> None:
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                           {"n": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def measure(replicas: int, args: argparse.Namespace, home: Path) -> tuple:
    database = fresh_database()
    try:
        settings = Settings(**replicated_ports(dict(
            deployment="replicated", database_url=f"{POSTGRES}/{database}", redis_url="redis://127.0.0.1:6379/0",
            rate_messages_per_minute=0,  # a benchmark is one client sending far more than a user would
            tracker_db=home / f"unused-{replicas}.db", log_dir=home / f"log-{replicas}",
            lock_key_prefix="okpaybench" + uuid.uuid4().hex[:8],
        ), rasa_replicas=replicas, action_replicas=replicas))
        with running_stack(settings) as stack:
            # Warm-up: every replica has run each kind of turn once.
            asyncio.run(run_load(stack.rasa_url, "warmup", conversations=4 * replicas, senders=1, turns=4))
            result: LoadResult = asyncio.run(run_load(
                stack.rasa_url, f"load-{uuid.uuid4().hex[:6]}", args.conversations, args.senders, args.turns))
            engine = create_engine(settings.tracker_url)
            problems = tracker_problems(engine, result)
            engine.dispose()
            return result, problems, resident_mb(stack)
    finally:
        drop_database(database)


def spread(values: List[float], digits: int = 1) -> str:
    """'median (min–max)' of the runs' values."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--senders", type=int, default=2, help="concurrent senders per conversation")
    parser.add_argument("--turns", type=int, default=8, help="messages per sender")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="runs of each set-up, alternating which goes first")
    args = parser.parse_args()
    print(f"load: {args.conversations} conversations × {args.senders} concurrent senders × {args.turns} turns "
          f"= {args.conversations * args.senders * args.turns} messages per set-up and run, through nginx")
    setups = (1, args.replicas)
    results: Dict[int, List[LoadResult]] = {replicas: [] for replicas in setups}
    trouble: Dict[int, List[str]] = {replicas: [] for replicas in setups}
    memory: Dict[int, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as home:
        for index in range(args.runs):
            for replicas in (setups if index % 2 == 0 else tuple(reversed(setups))):
                result, problems, memory[replicas] = measure(replicas, args, Path(home) / f"run{index}")
                results[replicas].append(result)
                trouble[replicas] += result.failures + problems
                print(f"run {index + 1}, {replicas} Rasa: {result.turns_per_s:.1f} turns/s", flush=True)
    print(f"\n{args.runs} run(s) per set-up, alternating; median (min–max) over runs\n")
    for replicas in setups:
        runs = results[replicas]
        print(f"{replicas} Rasa + {replicas} action process(es):")
        print(f"  turns/s {spread([r.turns_per_s for r in runs])}   "
              f"p50 {spread([r.percentile(0.5) * 1000 for r in runs], 0)} ms   "
              f"p95 {spread([r.percentile(0.95) * 1000 for r in runs], 0)} ms   "
              f"messages {sum(r.messages for r in runs)}   failures and tracker problems {len(trouble[replicas])}")
        for line in trouble[replicas][:10]:
            print(f"    {line}")
        print("  resident memory (last run): " + ", ".join(
            f"{name} {mb:.0f} MB" for name, mb in sorted(memory[replicas].items())))
    single = statistics.median(r.turns_per_s for r in results[1])
    if single:
        many = statistics.median(r.turns_per_s for r in results[args.replicas])
        print(f"\nspeed-up with {args.replicas} replicas: {many / single:.2f}× the turns per second (medians)")


if __name__ == "__main__":
    main()
