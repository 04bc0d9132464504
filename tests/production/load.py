"""A load of concurrent conversations through the balancer, and the checks of what PostgreSQL kept.

Used by tests/production (small) and `benchmarks/load_benchmark.py` (large).
Several senders write to the same conversation at once, so messages of one
conversation race each other; each message carries an id in its metadata,
and afterwards the tracker store must hold every id exactly once, each
sender's in the order sent, and no two turns interleaved.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List

import aiohttp
from sqlalchemy import text

#: What users of a wallet write, in a plausible order (no handoff: these run unattended).
TURNS = ["你好", "付款失败了", "没解决", "手续费多少", "没解决", "提现多久到账", "解决了", "谢谢"]


@dataclass
class LoadResult:
    latencies_s: List[float] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)
    #: Per conversation, per sender: the message ids in the order sent.
    sent: Dict[str, Dict[int, List[str]]] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def messages(self) -> int:
        return len(self.latencies_s)

    @property
    def turns_per_s(self) -> float:
        return self.messages / self.duration_s if self.duration_s else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _send(session: aiohttp.ClientSession, url: str, conversation: str, message_id: str, text: str,
                result: LoadResult) -> None:
    body = {"sender": conversation, "message": text, "metadata": {"test_message_id": message_id}}
    started = time.monotonic()
    try:
        async with session.post(url, json=body) as response:
            replies = await response.json(content_type=None) if response.status == 200 else None
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        result.failures.append(f"{message_id}: {type(error).__name__}")
        return
    result.latencies_s.append(time.monotonic() - started)
    if status != 200:
        result.failures.append(f"{message_id}: HTTP {status}")
    elif not replies:
        result.failures.append(f"{message_id}: no answer")


async def _sender(session: aiohttp.ClientSession, url: str, conversation: str, sender: int, turns: int,
                  result: LoadResult, stagger_s: float | None) -> None:
    """One sender's turns: each after the previous answer, or (`stagger_s`) a burst that does not wait for answers,
    one message every `stagger_s` seconds."""
    ids = result.sent.setdefault(conversation, {}).setdefault(sender, [])
    pending = []
    for turn in range(turns):
        message_id = f"{conversation}/{sender}/{turn}"
        ids.append(message_id)
        send = _send(session, url, conversation, message_id, TURNS[(turn + sender) % len(TURNS)], result)
        if stagger_s is None:
            await send
        else:
            pending.append(asyncio.ensure_future(send))
            await asyncio.sleep(stagger_s)
    await asyncio.gather(*pending)


async def run_load(base_url: str, prefix: str, conversations: int, senders: int, turns: int,
                   timeout_s: float = 120, stagger_s: float | None = None) -> LoadResult:
    """`conversations` conversations, each with `senders` concurrent senders sending `turns` messages each
    (with `stagger_s`: in bursts, without waiting for the answers)."""
    result = LoadResult()
    url = f"{base_url}/webhooks/rest/webhook"
    connector = aiohttp.TCPConnector(limit=conversations * senders * (turns if stagger_s is not None else 1))
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
        started = time.monotonic()
        await asyncio.gather(*(
            _sender(session, url, f"{prefix}-{c}", s, turns, result, stagger_s)
            for c in range(conversations) for s in range(senders)
        ))
        result.duration_s = time.monotonic() - started
    return result


def tracker_problems(engine: Any, result: LoadResult) -> List[str]:
    """What PostgreSQL's events table says went wrong: lost, doubled, reordered or interleaved messages."""
    problems: List[str] = []
    with engine.connect() as connection:
        for conversation, senders in result.sent.items():
            rows = connection.execute(
                text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": f"rest:{conversation}"},
            ).all()
            stored: List[str] = []
            previous_action = None
            for type_name, action_name, data in rows:
                if type_name == "user":
                    message_id = ((json.loads(data).get("metadata") or {}).get("test_message_id"))
                    if message_id is None:
                        continue
                    if stored and previous_action != "action_listen":
                        problems.append(f"{conversation}: {message_id} stored inside another turn")
                    stored.append(message_id)
                elif type_name == "action":
                    previous_action = action_name
            counts = Counter(stored)
            for sender, ids in senders.items():
                for message_id in ids:
                    if counts[message_id] == 0:
                        problems.append(f"{conversation}: {message_id} lost")
                    elif counts[message_id] > 1:
                        problems.append(f"{conversation}: {message_id} stored {counts[message_id]} times")
                order = [m for m in stored if m in set(ids)]
                if order != sorted(set(order), key=ids.index):
                    problems.append(f"{conversation}: sender {sender}'s messages out of order: {order}")
    return problems
