"""Fuzz benchmark: the properties of tests/fuzz with many generated inputs per endpoint.

Same servers, inputs and checks as the tests (`tests.fuzz.targets`): the WeChat,
Telegram and REST webhooks and the widget's socket.io events on the real channel
blueprints with a fake bot, the console's JSON API with a fake Rasa, all on
127.0.0.1 with a throwaway ticket store. Unlike the tests it does not stop at
the first broken property: it counts every failure and goes on. Prints, per
endpoint: inputs run, answers seen (HTTP status, or what the socket did),
failures (should be 0), wall time and inputs per second, then the first
failures in full.

    .venv/bin/python -m benchmarks.fuzz_benchmark [--examples 10000] [--only wechat,console] [--derandomize]

The widget is fuzzed twice: its handlers called directly, and through a real
long-polling socket.io client (`--socket-examples`, default `--examples`).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import List

from tests.fuzz.targets import (
    Channels,
    Console,
    ConsoleTarget,
    Stats,
    Target,
    WidgetSockets,
    channel_targets,
    fuzz,
    fuzz_environment,
)


def row(name: str, stats: Stats, health: str | None) -> str:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(stats.statuses.items()))
    rate = stats.examples / stats.seconds if stats.seconds else 0.0
    return (f"{name:20} {stats.examples:6} inputs  {len(stats.failures):4} failures  {stats.seconds:7.1f} s  "
            f"{rate:6.1f}/s  healthy after: {'yes' if health is None else 'NO: ' + health}\n"
            f"{'':20} answers: {statuses}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="generated inputs per endpoint")
    parser.add_argument("--socket-examples", type=int, default=None,
                        help="for the real-socket widget target (default: --examples)")
    parser.add_argument("--only", default="", help="comma-separated target names (wechat, telegram, rest, "
                                                   "socketio, console); default all")
    parser.add_argument("--derandomize", action="store_true", help="the same inputs on every run, as in CI")
    args = parser.parse_args()
    # The servers log every refused request; the fuzz checks answers, not logs (except the widget's, itself).
    logging.basicConfig(level=logging.ERROR, handlers=[logging.NullHandler()])

    wanted = [name.strip() for name in args.only.split(",") if name.strip()]
    failures: List[str] = []
    print(f"fuzz benchmark: {args.examples} inputs per endpoint"
          f"{' (derandomized)' if args.derandomize else ''}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="okpay-fuzz-") as directory, fuzz_environment(Path(directory)) as url:
        channels = Channels().start()
        sockets = WidgetSockets(channels)
        console = Console(url).start()
        try:
            targets: List[Target] = [*channel_targets(channels, sockets), ConsoleTarget(console)]
            for target in targets:
                if wanted and not any(target.name.startswith(name) for name in wanted):
                    continue
                examples = args.examples
                if target.name == "socketio (socket)":
                    examples = args.socket_examples if args.socket_examples is not None else examples
                stats = fuzz(target, examples, derandomize=args.derandomize, stop_on_failure=False)
                health = target.healthy()
                print(row(target.name, stats, health), flush=True)
                failures += [f"{target.name}: {problem}\n    input: {example}" for example, problem in stats.failures]
                if health is not None:
                    failures.append(f"{target.name}: not healthy after the fuzz: {health}")
        finally:
            console.stop()
            sockets.close()
            channels.stop()
    print(f"total {time.perf_counter() - started:.0f} s, {len(failures)} failures")
    for failure in failures[:20]:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
