"""Phone numbers and e-mail addresses masked for display."""
import pytest

from bot.privacy.contacts import HIDDEN, mask_contact, mask_contacts


@pytest.mark.parametrize(("text", "expected"), [
    ("13812345678", "138****5678"),
    ("我的电话是13812345678，谢谢", "我的电话是138****5678，谢谢"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086-138-1234-5678", "0086-138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    ("📱19912345678📱", "📱199****5678📱"),
    ("13812345678 或 15900001111", "138****5678 或 159****1111"),
    ("邮箱 abc@example.com", "邮箱 a***@example.com"),
    ("邮箱是zhang.san+okpay@mail.example.com.cn谢谢", "邮箱是z***@mail.example.com.cn谢谢"),
    ("ａｂｃ＠ｑｑ．ｃｏｍ", "a***@qq.com"),
    ("a@b.co", "a***@b.co"),
    ("电话13812345678，邮箱li@163.com", "电话138****5678，邮箱l***@163.com"),
])
def test_contacts_in_a_text_are_masked(text, expected):
    assert mask_contacts(text) == expected


@pytest.mark.parametrize("text", [
    "", "你好", "12812345678",  # no mobile starts with 12
    "138123456789",  # 12 digits
    "订单 2138123456789", "010-12345678", "金额 13800 元", "user@localhost", "a@b.c", "@example.com",
    "OK-20261121-0007", "138****5678", "a***@example.com", "[已隐藏]",
])
def test_what_is_not_a_contact_or_is_masked_already_stays(text):
    assert mask_contacts(text) == text


def test_masking_twice_is_masking_once():
    once = mask_contacts("电话 +86 138 1234 5678，邮箱 wang.wu@example.com")
    assert mask_contacts(once) == once


@pytest.mark.parametrize(("value", "expected"), [
    ("13812345678", "138****5678"),
    (" 138-1234-5678 ", "138****5678"),
    ("+86 13812345678", "+86 138****5678"),
    ("abc@example.com", "a***@example.com"),
    ("Z@qq.com", "Z***@qq.com"),
    ("010-12345678", HIDDEN),
    ("abc@localhost", HIDDEN),
    ("微信 wxid_123", HIDDEN),
    ("", ""),
    (None, None),
])
def test_one_contact_value(value, expected):
    assert mask_contact(value) == expected


@pytest.mark.parametrize("text", ["1" * 10_000, "a" * 10_000 + "@", "x@" * 5000, "a@" + "b." * 5000, "+86 " * 2500,
                                  "138-" * 2500])
def test_hostile_inputs_complete(text):
    assert isinstance(mask_contacts(text), str)
