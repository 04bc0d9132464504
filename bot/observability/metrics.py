"""Every Prometheus metric of the assistant, defined once, counted where its event happens (docs/metrics.md).

The metrics live in one registry (`REGISTRY`, not prometheus-client's global
one, so a test can list exactly ours) with the process collectors (memory,
CPU, open files, garbage collection). Each process (Rasa, the action server,
the console) exposes its own values at `GET /metrics`; with several replicas
Prometheus scrapes each and the dashboard sums them.

Labels are few and bounded, never a sender id, a ticket number or a text:
channel (our five), intent (the domain's; anything else is "other"), guide
and step (the content's), category (the ticket rules'), queue (two),
rejection reason (the closed list `REJECTION_REASONS`). A value outside its
list becomes `OTHER`, so no caller can grow the number of series.

The objects are plain in-process counters (no client, no connection): made
at import, as prometheus-client intends.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime
from typing import Collection, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

#: Any label value outside its known list.
OTHER = "other"
#: The channels users write from (`UserMessage.input_channel` of our channels).
CHANNELS = frozenset({"rest", "callback", "widget", "wechat", "telegram"})
#: Why a channel refused a request before the bot saw it.
BAD_SIGNATURE = "bad_signature"  # WeChat signature, Telegram secret token
BAD_TOKEN = "bad_token"  # the widget's signed visitor token
REPLAYED = "replayed"  # a WeChat signature (timestamp, nonce) used a second time
TOO_LARGE = "too_large"
RATE_LIMITED = "rate_limited"  # messages per conversation or address, new widget visitors per address
BAD_PAYLOAD = "bad_payload"  # not JSON / XML of the expected shape, a sender no channel hands out
UNENCRYPTED = "unencrypted"  # a plain WeChat message to an account in safe mode
REJECTION_REASONS = frozenset({BAD_SIGNATURE, BAD_TOKEN, REPLAYED, TOO_LARGE, RATE_LIMITED, BAD_PAYLOAD, UNENCRYPTED})
#: How the fallback reacted to a message it did not understand.
FALLBACK_REPHRASE, FALLBACK_HANDOFF = "rephrase", "handoff"
#: How a guide ended (the other two are `bot.guides.progress.COMPLETED` and `EXHAUSTED`).
SOLVED = "solved"
#: Where an agent passed a conversation on.
TO_AGENT, TO_QUEUE = "agent", "queue"
#: Ticket queues (`bot.tickets.models.QUEUES`).
QUEUE_NAMES = frozenset({"general", "senior"})

#: A turn: the lock, the NLU, the policies, custom actions over HTTP, the store. 35 ms to a few seconds.
TURN_BUCKETS_S = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Waiting for a conversation's lock: nothing at all, or another turn of the same conversation (up to its lifetime).
LOCK_BUCKETS_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)
#: A user waiting in the queue until an agent claims the conversation: seconds to hours.
QUEUE_WAIT_BUCKETS_S = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)

MESSAGES = Counter("okpay_messages", "User messages handed to the bot, per channel (after the channel's checks).",
                   ["channel"], registry=REGISTRY)
TURN_SECONDS = Histogram("okpay_turn_duration_seconds",
                         "Time from a message's hand-over to the bot until its turn is over (lock wait included).",
                         ["channel"], buckets=TURN_BUCKETS_S, registry=REGISTRY)
INTENTS = Counter("okpay_intents", "Intents predicted for user messages (nlu_fallback: not understood).",
                  ["intent"], registry=REGISTRY)
FALLBACKS = Counter("okpay_fallbacks", "Messages the assistant did not understand: asked to rephrase, or handed over "
                    "after the second in a row.", ["reaction"], registry=REGISTRY)
GUIDE_STEPS = Counter("okpay_guide_steps", "Guide steps shown to users (a step shown again after a detour counts "
                      "again).", ["guide", "step"], registry=REGISTRY)
GUIDE_ENDS = Counter("okpay_guide_ends", "Guides ended: solved, completed (procedure done) or exhausted (offered a "
                     "person).", ["guide", "outcome"], registry=REGISTRY)
HANDOFFS_REQUESTED = Counter("okpay_handoffs_requested", "Handoffs to a person requested (a ticket opened, or refused "
                             "by the ticket limit), by what happened: live (queued), closed, busy, limited.",
                             ["outcome"], registry=REGISTRY)
HANDOFFS_CLAIMED = Counter("okpay_handoffs_claimed", "Waiting conversations claimed by an agent.", ["queue"],
                           registry=REGISTRY)
HANDOFFS_TRANSFERRED = Counter("okpay_handoffs_transferred", "Conversations an agent passed on: to another agent or "
                               "to a queue.", ["to"], registry=REGISTRY)
HANDOFFS_RESOLVED = Counter("okpay_handoffs_resolved", "Tickets resolved by an agent (live conversations handed back "
                            "to the bot, and tickets recorded for later).", ["live"], registry=REGISTRY)
HANDOFFS_CANCELLED = Counter("okpay_handoffs_cancelled", "Users who stopped waiting for an agent (取消).",
                             registry=REGISTRY)
QUEUE_LENGTH = Gauge("okpay_queue_length", "Conversations waiting for an agent, per queue (the console's view; "
                     "read at most every few seconds).", ["queue"], registry=REGISTRY)
QUEUE_WAIT_SECONDS = Histogram("okpay_queue_wait_seconds", "Time a conversation waited in the queue until an agent "
                               "claimed it.", ["queue"], buckets=QUEUE_WAIT_BUCKETS_S, registry=REGISTRY)
TICKETS_OPENED = Counter("okpay_tickets_opened", "Tickets opened, per category.", ["category"], registry=REGISTRY)
WEBHOOK_REJECTIONS = Counter("okpay_webhook_rejections", "Requests a channel refused before the bot saw them.",
                             ["channel", "reason"], registry=REGISTRY)
LOCK_WAIT_SECONDS = Histogram("okpay_lock_wait_seconds", "Time a turn waited for its conversation's lock.",
                              buckets=LOCK_BUCKETS_S, registry=REGISTRY)


def bounded(value: object, known: Collection[str]) -> str:
    """`value` when it is one of `known`, else `OTHER`: a label never takes a value a caller made up."""
    return value if isinstance(value, str) and value in known else OTHER


@contextmanager
def turn(channel: str | None) -> Iterator[None]:
    """Counts a message handed to the bot on `channel` and times its turn (also a failing one)."""
    label = bounded(channel, CHANNELS)
    MESSAGES.labels(label).inc()
    started = time.perf_counter()
    try:
        yield
    finally:
        TURN_SECONDS.labels(label).observe(time.perf_counter() - started)


def intent_predicted(intent: str | None, domain_intents: Collection[str]) -> None:
    """Counts the intent a user message was given; one the domain does not know (a typed `/made_up`) is `OTHER`."""
    INTENTS.labels(bounded(intent, domain_intents)).inc()


def rejected(channel: str, reason: str) -> None:
    """Counts a request `channel` refused for `reason` (one of `REJECTION_REASONS`; anything else is a bug)."""
    if reason not in REJECTION_REASONS:
        raise ValueError(f"unknown rejection reason {reason!r}: add it to REJECTION_REASONS and docs/metrics.md")
    WEBHOOK_REJECTIONS.labels(bounded(channel, CHANNELS), reason).inc()


def guide_step(guide: str, step: int) -> None:
    """Counts step `step` of `guide` shown to a user (both from our content, never from the user)."""
    GUIDE_STEPS.labels(guide, str(step)).inc()


def guide_ended(guide: str, outcome: str) -> None:
    GUIDE_ENDS.labels(guide, outcome).inc()


def claimed(queue: str, queued_at: datetime | None, claimed_at: datetime | None) -> None:
    """Counts a conversation claimed from `queue` and the time it waited there (when both times are known)."""
    label = bounded(queue, QUEUE_NAMES)
    HANDOFFS_CLAIMED.labels(label).inc()
    if queued_at is not None and claimed_at is not None:
        QUEUE_WAIT_SECONDS.labels(label).observe(max(0.0, (claimed_at - queued_at).total_seconds()))


def lock_taken(started: float) -> None:
    """Records the wait for a conversation's lock that began at `started` (`time.perf_counter()`) and just ended
    with the lock held (a wait that ends in a failure is the message guard's busy answer, not a wait)."""
    LOCK_WAIT_SECONDS.observe(time.perf_counter() - started)


def sample_names() -> frozenset[str]:
    """Every sample name our registry can expose (`okpay_messages_total`, `…_bucket` …), for the dashboard's test."""
    names = set()
    for family in REGISTRY.collect():
        if family.type == "counter":
            names.update({family.name + "_total", family.name + "_created"})
        elif family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count", "_created"))
        else:
            names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return frozenset(names)
