"""Servers for tests and benchmarks: free ports, and Rasa's own `rasa run` beside a running stack."""
from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Tuple

from bot.cli.serve import Stack, answers, port_in_use
from bot.model_files import model_path as current_model_path
from bot.settings import PROJECT_ROOT


def _ephemeral_range() -> range:
    """The ports the kernel hands to outgoing connections (Linux; the usual default elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return not port_in_use("127.0.0.1", port)


def _candidate_ports() -> range:
    """Ports below the ephemeral range: a port the kernel gave out with `bind(0)` can be taken again
    by any outgoing connection (to PostgreSQL, Redis…) before the server that should listen on it
    binds it, which made a Rasa replica fail at start with 'address already in use'."""
    low = _ephemeral_range().start
    return range(15000, low) if low > 16000 else range(1024, 65536)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing uses now, outside the ephemeral range (for tests and benchmarks)."""
    return free_port_range(1)


def free_port_range(count: int) -> int:
    """The first of `count` consecutive ports on 127.0.0.1 that nothing uses now.

    For a replicated stack in tests and benchmarks: its replicas listen on the
    ports after each balancer's, which separate `free_port()` calls could hand
    out again.
    """

    candidates = _candidate_ports()
    for _ in range(500):
        base = random.randrange(candidates.start, candidates.stop - count)
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def replicated_ports(settings_values: dict, rasa_replicas: int, action_replicas: int) -> dict:
    """`settings_values` with every port of a replicated stack taken from one free range."""
    base = free_port_range(rasa_replicas + action_replicas + 4)
    action_base = base + rasa_replicas + 1
    return {**settings_values, "rasa_port": base, "action_port": action_base,
            "console_port": action_base + action_replicas + 1, "proxy_port": action_base + action_replicas + 2,
            "rasa_replicas": rasa_replicas, "action_replicas": action_replicas}



@contextlib.contextmanager
def stock_rasa_run(stack: Stack, endpoints: Path, credentials: Path, name: str = "rasa-stock",
                   start_timeout_s: float = 120.0) -> Iterator[Tuple[str, int, float]]:
    """Rasa's own `python -m rasa run` (none of our start-up code) beside `stack`, with the current model and the
    stack's environment, on a free loopback port: its base URL, its pid and the seconds it took to answer.

    For comparing our server with stock Rasa (benchmarks) and showing what stock Rasa does with our files (tests).
    `credentials` must name a REST channel: its health route says the server is up. Its log is the stack's.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "rasa", "run", "--model", str(current_model_path()),
               "--endpoints", str(endpoints), "--credentials", str(credentials),
               "--interface", "127.0.0.1", "--port", str(port)]
    started = time.monotonic()
    log = stack.settings.resolve(stack.settings.log_dir) / f"{name}.log"
    with open(log, "ab") as output:  # a one-off process beside the stack, not one of its supervised programs
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=stack.env, stdout=output,
                                   stderr=subprocess.STDOUT)
    try:
        while not answers(f"{base_url}/webhooks/rest/"):
            if process.poll() is not None or time.monotonic() - started > start_timeout_s:
                raise RuntimeError(f"{name} did not start; see {log}")
            time.sleep(0.2)
        yield base_url, process.pid, time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
