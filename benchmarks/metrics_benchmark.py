"""Metrics benchmark: what the Prometheus counters cost a turn, and what a scrape costs.

A turn through our channels updates, in the Rasa process: the message counter
and the turn histogram (`metrics.turn`), the intent counter
(`metrics.intent_predicted`, checked against the domain's intents) and the
lock-wait histogram (`metrics.lock_taken`); the action server adds a guide
step or a fallback at most. This times exactly those calls, in a loop, and a
scrape (`exposition()`) of a registry holding every guide step and intent,
and prints the figures. Compare with a turn's 35 ms and more
(docs/runtime.md).

    .venv/bin/python -m benchmarks.metrics_benchmark [--turns 200000]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable, List

from bot.observability import metrics
from bot.observability.exposition import exposition

#: About the domain's number of intents.
INTENTS = [f"intent_{index}" for index in range(80)]


def per_call_us(work: Callable[[], None], calls: int, repeats: int = 5) -> List[float]:
    """Microseconds per call of `work`, for each of `repeats` loops of `calls` calls."""
    figures = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            work()
        figures.append((time.perf_counter() - started) / calls * 1e6)
    return figures


def one_turn() -> None:
    with metrics.turn("rest"):
        metrics.lock_taken(time.perf_counter())
        metrics.intent_predicted("intent_42", INTENTS)
    metrics.guide_step("payment_failed", 2)


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200_000)
    args = parser.parse_args(argv)
    turn = per_call_us(one_turn, args.turns)
    empty = per_call_us(lambda: None, args.turns)
    # A full registry: every channel, intent, guide step and rejection reason seen once.
    for channel in metrics.CHANNELS:
        with metrics.turn(channel):
            pass
        for reason in metrics.REJECTION_REASONS:
            metrics.rejected(channel, reason)
    for intent in INTENTS:
        metrics.intent_predicted(intent, INTENTS)
    for guide in range(7):
        for step in range(1, 8):
            metrics.guide_step(f"guide_{guide}", step)
    body, _ = exposition()
    lines = len(body.splitlines())
    scrape = per_call_us(exposition, 200)
    print(f"counters of one turn: median {statistics.median(turn):.2f} µs "
          f"(min {min(turn):.2f}, max {max(turn):.2f}; an empty call {statistics.median(empty):.2f} µs), "
          f"{args.turns} turns x 5")
    print(f"one scrape of a full registry: median {statistics.median(scrape) / 1000:.2f} ms, "
          f"{len(body) / 1024:.0f} KB, {lines} lines")


if __name__ == "__main__":
    main()
