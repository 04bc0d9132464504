"""Memory benchmark: the resident memory (and CPU) of every process of the replicated stack, idle and under load.

The Kubernetes manifests' resource requests and limits come from these figures
(deploy/kubernetes/values.example.yml says how). Starts the replicated
deployment (nginx, `--replicas` Rasa processes and action servers, the
console; PostgreSQL and Redis) on free loopback ports in a fresh PostgreSQL
database, then:

1. reads every process's resident set (RSS, with its children) once all are ready;
2. sends `--conversations` conversations of `--turns` messages through the
   public balancer (tests/production/load.py), more conversations than one
   Rasa process keeps trackers for (`cache_size` 128 in
   endpoints.production.yml), so the tracker cache is full, while a thread
   samples every process's RSS every 0.5 s;
3. prints, per process: RSS when ready, the peak during the load, RSS after
   it, the CPU it used during the load (cores busy on average), and the
   memory request and limit derived from the peak (`derived_memory`).

    .venv/bin/python -m benchmarks.memory_benchmark [--conversations 160] [--senders 2] [--turns 8] [--replicas 2]

Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (trust auth),
nginx, and a trained model (scripts/train).
"""
from __future__ import annotations

import argparse
import asyncio
import math
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List

import psutil

from benchmarks.load_benchmark import POSTGRES, drop_database, fresh_database, resident_mb
from bot.cli.serve import running_stack
from bot.settings import Settings
from tests.production.load import run_load
from tests.servers import replicated_ports

SAMPLE_S = 0.5
#: Requests and limits are whole multiples of this (MiB).
STEP_MIB = 64


def derived_memory(peak_mib: float) -> tuple:
    """(request, limit) in MiB for a process whose peak RSS was `peak_mib`.

    Request: the peak plus a quarter (longer conversations than the load's fill
    the tracker cache with larger trackers), rounded up to 64 MiB, so the
    scheduler places a pod where it fits. Limit: twice the request, so only a
    leak or a runaway gets the pod killed, not a busy hour.
    """
    request = math.ceil(peak_mib * 1.25 / STEP_MIB) * STEP_MIB
    return request, 2 * request


class PeakSampler(threading.Thread):
    """Samples every process's RSS until stopped, keeping the highest value of each."""

    def __init__(self, stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.peak: Dict[str, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            for name, mb in resident_mb(self.stack).items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)
            self._stop_event.wait(SAMPLE_S)

    def stop(self) -> Dict[str, float]:
        self._stop_event.set()
        self.join()
        return self.peak


def cpu_seconds(stack) -> Dict[str, float]:
    """CPU time (user + system) used so far by every process and its children."""
    used = {}
    for name, process in stack.processes.items():
        try:
            parent = psutil.Process(process.pid)
            used[name] = sum(sum(p.cpu_times()[:2]) for p in [parent, *parent.children(recursive=True)])
        except psutil.NoSuchProcess:
            used[name] = 0.0
    return used


def measure(args: argparse.Namespace, home: Path) -> List[str]:
    database = fresh_database()
    try:
        settings = Settings(**replicated_ports(dict(
            deployment="replicated", database_url=f"{POSTGRES}/{database}", redis_url="redis://127.0.0.1:6379/0",
            rate_messages_per_minute=0,  # one benchmark client sends far more than a user would
            tracker_db=home / "unused.db", log_dir=home / "log",
            lock_key_prefix="okpaymem" + uuid.uuid4().hex[:8],
        ), rasa_replicas=args.replicas, action_replicas=args.replicas))
        with running_stack(settings) as stack:
            time.sleep(2)  # let start-up work (imports, first connections) settle
            ready = resident_mb(stack)
            sampler = PeakSampler(stack)
            sampler.start()
            cpu_before, started = cpu_seconds(stack), time.monotonic()
            result = asyncio.run(run_load(stack.rasa_url, f"mem-{uuid.uuid4().hex[:6]}",
                                          args.conversations, args.senders, args.turns, timeout_s=600))
            elapsed = time.monotonic() - started
            cpu_after = cpu_seconds(stack)
            peak = sampler.stop()
            after = resident_mb(stack)
        kinds = Counter(failure.split(": ", 1)[-1] for failure in result.failures)
        lines = [f"{result.messages} messages in {elapsed:.0f} s ({result.turns_per_s:.1f} turns/s), "
                 f"{len(result.failures)} failures" + "".join(f", {n} × {kind}" for kind, n in kinds.most_common(3))
                 + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", "",
                 f"{'process':<12} {'ready MiB':>10} {'peak MiB':>9} {'after MiB':>10} {'cores busy':>11} "
                 f"{'request':>8} {'limit':>7}"]
        for name in sorted(ready):
            cores = (cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0)) / elapsed
            request, limit = derived_memory(peak.get(name, 0.0))
            lines.append(f"{name:<12} {ready[name]:>10.0f} {peak.get(name, 0.0):>9.0f} "
                         f"{after.get(name, 0.0):>10.0f} {cores:>11.2f} {request:>6}Mi {limit:>5}Mi")
        return lines
    finally:
        drop_database(database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=160,
                        help="more than the tracker cache's 128, so every Rasa process's cache fills")
    parser.add_argument("--senders", type=int, default=2, help="concurrent senders per conversation")
    parser.add_argument("--turns", type=int, default=8, help="messages per sender")
    parser.add_argument("--replicas", type=int, default=2, help="Rasa processes and action servers")
    args = parser.parse_args()
    print(f"replicated stack, {args.replicas} Rasa + {args.replicas} action servers; load: {args.conversations} "
          f"conversations × {args.senders} senders × {args.turns} turns through nginx", flush=True)
    with tempfile.TemporaryDirectory() as home:
        for line in measure(args, Path(home)):
            print(line)


if __name__ == "__main__":
    main()
