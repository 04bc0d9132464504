"""Where a turn's time goes late in a long conversation, sampled with py-spy.

Starts the embedded stack (as the serving benchmark does), drives one
conversation for `--warm` turns unmeasured, then records the Rasa server's
stacks with py-spy (`py-spy record --format raw`, idle frames left out) while
the same conversation goes on for `--turns` more turns, and prints the
functions that took the most time: their share of the server's busy time and
the milliseconds of CPU per turn that share stands for.

    .venv/bin/python -m benchmarks.profile_turns [--warm 200] [--turns 40] [--top 30]

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

from benchmarks.serving_benchmark import LONG_CONVERSATION, converse
from bot.cli.serve import free_port, running_stack
from bot.settings import Settings

#: Samples per second.
RATE = 250


def frame_name(frame: str) -> str:
    """'run (rasa/core/processor.py:123)' → 'run (rasa/core/processor.py)': one entry per function."""
    function, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].split("site-packages/")[-1]
    return f"{function} ({path})"


#: Where the Rasa server's samples are counted: the frame that handles one message.
TURN_FRAME = "handle_message (rasa/core/processor.py)"


def parse_raw(text: str, within: str = TURN_FRAME) -> Tuple[Counter[str], Counter[str], int]:
    """Inclusive and self sample counts per function from py-spy's raw (collapsed) output, and their total,
    counting only the stacks that pass through `within` (so idle threads and the event loop's wait are left out)."""
    inclusive: Counter[str] = collections.Counter()
    own: Counter[str] = collections.Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(frame) for frame in stack.split(";") if frame]
        if within not in frames:
            continue
        frames = frames[frames.index(within):]
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples
    return inclusive, own, total


async def _talk(url: str, sender: str, texts: List[str]) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        await converse(session, url, texts, sender=sender)


def record(pid: int, out: Path, url: str, sender: str, texts: List[str]) -> None:
    """Runs py-spy on `pid` while `texts` are sent."""
    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid), "--rate", str(RATE),
                            "--format", "raw", "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # py-spy attaches
    try:
        asyncio.run(_talk(url, sender, texts))
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
    args = parser.parse_args()
    texts = [LONG_CONVERSATION[turn % len(LONG_CONVERSATION)] for turn in range(args.warm + args.turns)]
    sender = f"profile-{uuid.uuid4().hex}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            rate_messages_per_minute=0, rate_messages_per_minute_per_address=0,
            rate_new_visitors_per_hour_per_address=0,
            rasa_port=free_port(), action_port=free_port(),
            tracker_db=Path(tmp, "profile.db"), log_dir=Path(tmp, "log"),
        )
        with running_stack(settings) as stack:
            url = f"{stack.rasa_url}/webhooks/rest/webhook"
            asyncio.run(_talk(url, sender, texts[:args.warm]))
            out = Path(tmp, "rasa.raw")
            record(stack.processes["rasa"].pid, out, url, sender, texts[args.warm:])
            raw = out.read_text(encoding="utf-8")
    inclusive, own, total = parse_raw(raw)
    if not total:
        sys.exit("py-spy recorded no samples (is ptrace allowed?)")
    per_turn = total / RATE / args.turns * 1000
    print(f"\nRasa server, turns {args.warm + 1}-{args.warm + args.turns} of one conversation: "
          f"{total} samples in {TURN_FRAME} at {RATE}/s, {per_turn:.1f} ms per turn\n")
    print(f"{'inclusive':>9} {'ms/turn':>8}  function")
    for frame, samples in inclusive.most_common(args.top):
        print(f"{samples / total:>9.1%} {samples / total * per_turn:>8.2f}  {frame}")
    print(f"\n{'self':>9} {'ms/turn':>8}  function")
    for frame, samples in own.most_common(15):
        print(f"{samples / total:>9.1%} {samples / total * per_turn:>8.2f}  {frame}")


if __name__ == "__main__":
    main()
