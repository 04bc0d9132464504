"""Fuzzing the Telegram webhook: random JSON and updates of every kind with hostile fields, with the
secret header right, wrong or missing (tests/fuzz/targets.py: TelegramTarget)."""
from tests.fuzz.targets import TelegramTarget, examples_per_endpoint, fuzz


def test_the_telegram_webhook_never_fails_and_refuses_updates_without_the_secret(channels):
    target = TelegramTarget(channels)
    fuzz(target, examples_per_endpoint())
    assert target.healthy() is None
