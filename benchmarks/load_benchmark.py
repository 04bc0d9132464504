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

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (trust auth),
nginx, and a trained model (scripts/train).
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from pathlib import Path
from typing import Dict

import psutil
from sqlalchemy import create_engine, text

from bot.cli.serve import replicated_ports, running_stack
from bot.settings import Settings
from tests.production.load import LoadResult, run_load, tracker_problems

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def resident_mb(stack) -> Dict[str, float]:
    sizes = {}
    for name, process in stack.processes.items():
        try:
            parent = psutil.Process(process.pid)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--senders", type=int, default=2, help="concurrent senders per conversation")
    parser.add_argument("--turns", type=int, default=8, help="messages per sender")
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    print(f"load: {args.conversations} conversations × {args.senders} concurrent senders × {args.turns} turns "
          f"= {args.conversations * args.senders * args.turns} messages per set-up, through nginx")
    rows = []
    with tempfile.TemporaryDirectory() as home:
        for replicas in (1, args.replicas):
            result, problems, memory = measure(replicas, args, Path(home))
            rows.append((replicas, result))
            print(f"\n{replicas} Rasa + {replicas} action process(es):")
            print(f"  turns/s {result.turns_per_s:6.1f}   p50 {result.percentile(0.5) * 1000:6.0f} ms   "
                  f"p95 {result.percentile(0.95) * 1000:6.0f} ms   messages {result.messages}   "
                  f"failures {len(result.failures)}   tracker problems {len(problems)}")
            for line in (result.failures + problems)[:10]:
                print(f"    {line}")
            print("  resident memory: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(memory.items())))
    (one, single), (many, replicated) = rows
    if single.turns_per_s:
        print(f"\nspeed-up with {many} replicas: {replicated.turns_per_s / single.turns_per_s:.2f}× the turns per "
              f"second (p95 {single.percentile(0.95) * 1000:.0f} ms → {replicated.percentile(0.95) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
