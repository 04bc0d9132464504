"""Where a turn's time goes late in a long conversation, sampled with py-spy.

Starts the embedded stack (as the serving benchmark does), drives one
conversation for `--warm` turns unmeasured, then records the Rasa server's
stacks with py-spy (`py-spy record --format raw`, idle frames left out) while
the same conversation goes on for `--turns` more turns, and prints the
functions that took the most time: their share of the server's busy time and
the milliseconds of CPU per turn that share stands for.

    .venv/bin/python -m benchmarks.profile_turns [--warm 200] [--turns 40] [--top 30] [--concurrent 16]

Needs ptrace rights over the child (root here, or kernel.yama.ptrace_scope=0).
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Counter, List, Tuple

import aiohttp

from benchmarks.serving_benchmark import CONVERSATION, LONG_CONVERSATION, benchmark_settings, converse, drive
from bot.cli.serve import running_stack

#: Samples per second.
RATE = 250


def frame_name(frame: str) -> str:
    """'run (rasa/core/processor.py:123)' → 'run (rasa/core/processor.py)': one entry per function."""
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].split("site-packages/")[-1]
    return f"{function} ({path})"


#: Where the Rasa server's samples are counted: the frame that handles one message.
TURN_FRAME = "handle_message (rasa/core/processor.py)"


#: Leaf frames of a process that waits: the event loop's poll (uvloop, inside Sanic's serve) and idle pool threads.
IDLE_LEAVES = ("serve (sanic/server/runners.py)", "_worker (concurrent/futures/thread.py)")


def parse_raw(text: str, within: str | None = TURN_FRAME) -> Tuple[Counter[str], Counter[str], int]:
    """Inclusive and self sample counts per function from py-spy's raw (collapsed) output, and their total,
    counting only the stacks that pass through `within` (so idle threads and the event loop's wait are left out),
    or, without `within`, every stack that does not end waiting."""
    inclusive: Counter[str] = collections.Counter()
    own: Counter[str] = collections.Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(frame) for frame in stack.split(";") if frame]
        if within is None:
            if not frames or frames[-1] in IDLE_LEAVES:
                continue
        elif within not in frames:
            continue
        else:
            frames = frames[frames.index(within):]
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples
    return inclusive, own, total


async def _talk(url: str, sender: str, texts: List[str], concurrent: int = 1) -> None:
    """`texts` from `sender`, or, with `concurrent` > 1, the serving benchmark's conversation from that many
    senders at once, again and again until as many turns are sent."""
    if concurrent > 1:
        await drive(url, concurrent, max(1, len(texts) // (concurrent * len(CONVERSATION))))
        return
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        await converse(session, url, texts, sender=sender)


def record(pid: int, out: Path, url: str, sender: str, texts: List[str], concurrent: int = 1) -> None:
    """Runs py-spy on `pid` while `texts` are sent."""
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--rate", str(RATE),
                            "--format", "raw", "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # py-spy attaches
    try:
        asyncio.run(_talk(url, sender, texts, concurrent))
    finally:
        spy.send_signal(signal.SIGINT)
        _, errors = spy.communicate(timeout=60)
    if spy.returncode not in (0, -signal.SIGINT) and not out.exists():
        sys.exit(f"py-spy failed: {errors.decode(errors='replace')[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=200, help="turns before sampling starts")
    parser.add_argument("--turns", type=int, default=40, help="turns sampled")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw output here (collapsed stacks)")
    parser.add_argument("--concurrent", type=int, default=1,
                        help="instead of one long conversation, this many 10-turn conversations at once "
                             "(the whole process's busy time is counted, not only handle_message)")
    args = parser.parse_args()
    texts = [LONG_CONVERSATION[turn % len(LONG_CONVERSATION)] for turn in range(args.warm + args.turns)]
    sender = f"profile-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp:
        with running_stack(benchmark_settings(Path(tmp))) as stack:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            asyncio.run(_talk(url, sender, texts[:args.warm]))
            out = Path(tmp, "rasa.raw")
            record(stack.pid("rasa"), out, url, sender, texts[args.warm:], args.concurrent)
            raw = out.read_text(encoding="utf-8")
    if args.raw:
        args.raw.write_text(raw, encoding="utf-8")
    inclusive, own, total = parse_raw(raw, TURN_FRAME if args.concurrent == 1 else None)
    if not total:
        sys.exit("py-spy recorded no samples (is ptrace allowed?)")
    per_turn = total / RATE / args.turns * 1000
    if args.concurrent == 1:
        print(f"\nRasa server, turns {args.warm + 1}-{args.warm + args.turns} of one conversation: "
              f"{total} samples in {TURN_FRAME} at {RATE}/s, {per_turn:.1f} ms per turn\n")
    else:
        print(f"\nRasa server, {args.turns} turns of {args.concurrent} conversations at once: {total} busy samples "
              f"at {RATE}/s, {per_turn:.1f} ms of the process per turn\n")
    print(f"{'inclusive':>9} {'ms/turn':>8}  function")
    for frame, samples in inclusive.most_common(args.top):
        print(f"{samples / total:>9.1%} {samples / total * per_turn:>8.2f}  {frame}")
    print(f"\n{'self':>9} {'ms/turn':>8}  function")
    for frame, samples in own.most_common(15):
        print(f"{samples / total:>9.1%} {samples / total * per_turn:>8.2f}  {frame}")


if __name__ == "__main__":
    main()
