"""Redaction benchmark: how much `redact` hides, what it changes that it should not, and what it costs.

Prints, for the redaction corpus (tests/data/redaction_corpus.yml): the share
of secrets hidden, per kind and overall, with each secret missed; the
false-positive rate on its ordinary messages, with each message changed;
the same two figures on generated messages (tests/privacy/generated.py);
the time per message for the corpus's short messages and for 4,000-character
messages made of them; and for each hostile input (tests/privacy/hostile.py)
the time at 10 KB and at 100 KB, best of --repeat: a ratio near 10 shows the
cost grows linearly with the length.

    .venv/bin/python -m benchmarks.redaction_benchmark [--repeat 5] [--generated 20000]
"""
from __future__ import annotations

import argparse
import random
import time
from typing import Callable, List, Sequence

from bot.privacy import redact
from tests.privacy.corpus import CORPUS, Corpus, by_kind, load, score
from tests.privacy.generated import card_messages, ordinary_messages
from tests.privacy.hostile import UNITS, hostile

LONG = 4_000
SIZES = (10_000, 100_000)


def best_time(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def long_messages(corpus: Corpus, count: int, seed: int = 4000) -> List[str]:
    """`count` messages of LONG characters: corpus messages (ordinary and secret) one after another."""
    pool = list(corpus.ordinary) + [secret.text for secret in corpus.secrets]
    rng = random.Random(seed)
    messages = []
    for _ in range(count):
        pieces, size = [], 0
        while size < LONG:
            piece = rng.choice(pool) + "。"
            pieces.append(piece)
            size += len(piece)
        messages.append("".join(pieces)[:LONG])
    return messages


def per_message(messages: Sequence[str], repeat: int) -> float:
    return best_time(lambda: [redact(text) for text in messages], repeat) / len(messages)


def print_corpus(corpus: Corpus) -> None:
    scores = score(corpus)
    print(f"Redaction corpus ({CORPUS.name}): {len(corpus.secrets)} secrets, {len(corpus.ordinary)} ordinary messages")
    print("  detection by kind:")
    for kind, (found, total) in by_kind(scores).items():
        print(f"    {kind:20} {found:4}/{total:<4} {found / total:.3f}")
    print(f"    {'all':20} {sum(scores.hidden.values()):4}/{sum(scores.total.values()):<4} {scores.detection():.3f}")
    for secret, result in scores.missed:
        print(f"    missed ({secret.kind}): {secret.text!r} -> {result!r}")
    print(f"  false positives: {len(scores.changed)}/{scores.ordinary} = {scores.false_positive_rate:.3f}")
    for text, result in scores.changed:
        print(f"    changed: {text!r} -> {result!r}")


def print_generated(count: int) -> None:
    ordinary = ordinary_messages(count)
    changed = sum(redact(text).text != text for text in ordinary)
    cards = card_messages(count // 4)
    missed = sum(written in redact(text).text for text, written in cards)
    print(f"Generated: {changed}/{len(ordinary)} ordinary messages changed ({changed / len(ordinary):.4f}), "
          f"{len(cards) - missed}/{len(cards)} card numbers hidden ({1 - missed / len(cards):.4f})")


def print_timings(corpus: Corpus, repeat: int) -> None:
    short = list(corpus.ordinary) + [secret.text for secret in corpus.secrets]
    mean = sum(map(len, short)) / len(short)
    print("Time per message:")
    print(f"  short (the corpus, {len(short)} messages, {mean:.0f} characters on average): "
          f"{per_message(short, repeat) * 1e6:.0f} µs")
    long = long_messages(corpus, 50)
    print(f"  {LONG:,} characters ({len(long)} messages of corpus texts): {per_message(long, repeat) * 1e3:.2f} ms")


def print_hostile(repeat: int) -> None:
    print(f"Hostile inputs, {SIZES[0] // 1000} KB against {SIZES[1] // 1000} KB (best of {repeat}):")
    ratios = []
    for name, unit in UNITS.items():
        small, large = (best_time(lambda text=hostile(unit, size): redact(text), repeat) for size in SIZES)
        ratios.append(large / small)
        print(f"  {name:20} {small * 1e3:8.1f} ms {large * 1e3:9.1f} ms   ratio {large / small:5.1f}")
    print(f"  largest ratio {max(ratios):.1f} (10 = linear)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings: best of this many runs")
    parser.add_argument("--generated", type=int, default=20_000, help="generated ordinary messages (and a quarter "
                                                                      "as many card numbers)")
    args = parser.parse_args(argv)
    corpus = load()
    print_corpus(corpus)
    print_generated(args.generated)
    print_timings(corpus, args.repeat)
    print_hostile(args.repeat)


if __name__ == "__main__":
    main()
