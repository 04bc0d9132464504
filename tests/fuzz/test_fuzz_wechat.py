"""Fuzzing the WeChat webhook: random bytes, random XML, messages of every type with hostile values,
plain and safe mode, signed and not (tests/fuzz/targets.py: WeChatTarget)."""
from tests.fuzz.targets import WeChatTarget, examples_per_endpoint, fuzz


def test_the_wechat_webhook_never_fails_and_never_hands_over_an_unsigned_message(channels):
    target = WeChatTarget(channels)
    fuzz(target, examples_per_endpoint())
    assert target.healthy() is None
