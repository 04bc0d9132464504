"""Every string inside a message's metadata is redacted, at any depth, and the caller's value is left as it was."""
import copy

from bot.privacy import MASK
from bot.privacy.values import redact_values
from tests.privacy.samples import CARD


def test_strings_at_any_depth_are_redacted_and_the_kinds_listed_in_order():
    metadata = {
        "note": f"卡号 {CARD}",
        "form": {"fields": [{"label": "密码", "value": "密码是abc123"}, ("验证码 482913", 7)]},
        "count": 3, "ok": True, "none": None, "plain": "你好",
    }
    before = copy.deepcopy(metadata)
    clean, kinds = redact_values(metadata)
    assert clean == {
        "note": f"卡号 {MASK}",
        "form": {"fields": [{"label": "密码", "value": f"密码是{MASK}"}, (f"验证码 {MASK}", 7)]},
        "count": 3, "ok": True, "none": None, "plain": "你好",
    }
    assert kinds == ("bank_card", "password", "verification_code")
    assert metadata == before  # not changed in place
    assert isinstance(clean["form"]["fields"][1], tuple)


def test_keys_are_kept():
    clean, kinds = redact_values({f"卡号 {CARD}": "x"})
    assert clean == {f"卡号 {CARD}": "x"} and kinds == ()


def test_nothing_found_gives_back_the_value_itself():
    metadata = {"message_kind": "text", "items": ["a", {"b": 1}]}
    clean, kinds = redact_values(metadata)
    assert clean is metadata and kinds == ()


def test_a_string_alone_and_other_values():
    assert redact_values("密码是abc123") == (f"密码是{MASK}", ("password",))
    assert redact_values(None) == (None, ()) and redact_values(12) == (12, ())


def test_deep_nesting_costs_no_stack():
    value = inner = {}
    for _ in range(5_000):
        inner["next"] = {}
        inner = inner["next"]
    inner["secret"] = "验证码 482913"
    clean, kinds = redact_values(value)
    assert kinds == ("verification_code",)
    while "next" in clean:
        clean = clean["next"]
    assert clean == {"secret": f"验证码 {MASK}"}
