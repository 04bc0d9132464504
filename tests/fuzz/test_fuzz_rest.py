"""Fuzzing the REST and callback channels (bot.channels.rest): random bodies, wrong types, non-object JSON,
invalid UTF-8, deep nesting (tests/fuzz/targets.py: RestTarget)."""
from tests.fuzz.targets import RestTarget, examples_per_endpoint, fuzz


def test_the_rest_webhook_never_fails(channels):
    target = RestTarget(channels)
    fuzz(target, examples_per_endpoint())
    assert target.healthy() is None


def test_the_callback_webhook_never_fails(channels):
    target = RestTarget(channels, "callback")
    fuzz(target, examples_per_endpoint())
    assert target.healthy() is None
