"""The metrics' definitions: bounded labels whatever a caller passes, and turns timed even when they fail."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.observability import metrics
from tests.metrics_reading import Snapshot


def test_a_label_outside_its_list_is_other():
    assert metrics.bounded("rest", metrics.CHANNELS) == "rest"
    for made_up in ("rest:u1", "REST", "", None, 42, "x" * 500):
        assert metrics.bounded(made_up, metrics.CHANNELS) == metrics.OTHER


def test_a_turn_is_counted_and_timed_also_when_it_fails():
    snapshot = Snapshot()
    with pytest.raises(RuntimeError), metrics.turn("wechat"):
        raise RuntimeError("the bot failed")
    with metrics.turn("wechat:o_user1"):  # not a channel: counted as other, never as the id
        pass
    assert snapshot.delta("okpay_messages_total", channel="wechat") == 1
    assert snapshot.delta("okpay_turn_duration_seconds_count", channel="wechat") == 1
    assert snapshot.delta("okpay_messages_total", channel="other") == 1
    assert snapshot.delta("okpay_messages_total", channel="wechat:o_user1") == 0


def test_an_intent_the_domain_does_not_know_is_other():
    snapshot = Snapshot()
    metrics.intent_predicted("greet", ["greet", "affirm"])
    metrics.intent_predicted("made_up_by_a_user", ["greet", "affirm"])
    metrics.intent_predicted(None, ["greet"])
    assert snapshot.delta("okpay_intents_total", intent="greet") == 1
    assert snapshot.delta("okpay_intents_total", intent="other") == 2
    assert snapshot.delta("okpay_intents_total", intent="made_up_by_a_user") == 0


def test_a_rejection_reason_must_be_one_of_the_documented_ones():
    snapshot = Snapshot()
    metrics.rejected("telegram", metrics.TOO_LARGE)
    assert snapshot.delta("okpay_webhook_rejections_total", channel="telegram", reason="too_large") == 1
    with pytest.raises(ValueError, match="unknown rejection reason"):
        metrics.rejected("telegram", "some text a caller sent")


def test_a_claim_records_the_wait_in_its_queue():
    snapshot = Snapshot()
    queued = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    metrics.claimed("senior", queued, queued + timedelta(seconds=75))
    metrics.claimed("general", None, queued)  # no queueing time known: counted, no wait observed
    assert snapshot.delta("okpay_handoffs_claimed_total", queue="senior") == 1
    assert snapshot.delta("okpay_queue_wait_seconds_sum", queue="senior") == 75
    assert snapshot.delta("okpay_queue_wait_seconds_bucket", queue="senior", le="60.0") == 0
    assert snapshot.delta("okpay_queue_wait_seconds_bucket", queue="senior", le="120.0") == 1
    assert snapshot.delta("okpay_handoffs_claimed_total", queue="general") == 1
    assert snapshot.delta("okpay_queue_wait_seconds_count", queue="general") == 0


def test_the_registry_names_every_sample_it_can_expose():
    names = metrics.sample_names()
    for name in ("okpay_messages_total", "okpay_turn_duration_seconds_bucket", "okpay_queue_length",
                 "okpay_lock_wait_seconds_sum", "okpay_webhook_rejections_total", "process_resident_memory_bytes"):
        assert name in names
    assert "okpay_messages" not in names  # a counter's samples end in _total


def test_the_known_queues_are_the_ticket_stores():
    from bot.tickets.models import QUEUES

    assert metrics.QUEUE_NAMES == frozenset(QUEUES)
