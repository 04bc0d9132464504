"""A card's security code and expiry date, near the words that say what they are."""
import pytest

from bot.privacy.card_details import expiry_dates, security_codes
from bot.privacy.digits import digit_view
from bot.privacy.kinds import BLANK
from bot.privacy.widths import fold_width


def found(detect, text):
    folded = fold_width(text)
    return [text[start:end] for start, end, _ in detect(folded, digit_view(folded))]


@pytest.mark.parametrize(("text", "code"), [
    ("CVV 123", "123"), ("cvv2: 456", "456"), ("CVC是 618", "618"), ("cvn2 777", "777"), ("amex 的 CID 7716", "7716"),
    ("安全码 205", "205"), ("安全碼：906", "906"), ("卡背后三位是 472", "472"), ("卡背面的三位数 074", "074"),
    ("背后三位 5 8 2", "5 8 2"), ("卡背后的三个数字是 448", "448"), ("security code 392", "392"),
    ("cvv2 是 六零九", "六零九"), ("ＣＶＶ：１２３", "１２３"), ("card verification value: 551", "551"),
])
def test_security_codes(text, code):
    assert found(security_codes, text) == [code]


@pytest.mark.parametrize("text", [
    "CVV 是什么？在哪里看", "安全码输错了", "安全码输错 3 次了", "卡背面的三位数是干嘛的", "cvv 12", "cvv 12345",
    "安全码 123 秒后", "cvv ¥300", "CVV码输了好几次，订单 20241120", "背后三位 2024-11",
])
def test_not_security_codes(text):
    assert found(security_codes, text) == []


@pytest.mark.parametrize(("text", "date"), [
    ("信用卡有效期 08/27", "08/27"), ("卡的有效期是 12/2028", "12/2028"), ("卡片有效期至 2027年5月", "2027年5月"),
    ("信用卡过期时间 03/29", "03/29"), ("card exp 10/26", "10/26"), ("visa expiry date 04/2027", "04/2027"),
    ("卡有效期：07-28", "07-28"), ("我的卡到期日是 2029/01", "2029/01"), ("信用卡有效期 0827", "0827"),
    ("VALID THRU 06/29", "06/29"), ("银行卡 有效期 8/27", "8/27"), ("信用卡有效期：０８／２７", "０８／２７"),
])
def test_expiry_dates_near_card_words(text, date):
    assert found(expiry_dates, text) == [date]


def test_an_expiry_date_after_a_hidden_card_number():
    assert found(expiry_dates, f"{BLANK * 16} 有效期 11/26") == ["11/26"]


@pytest.mark.parametrize("text", [
    "有效期 08/27",  # no card word: a coupon, a membership, an ID card?
    "优惠券有效期到 12/31", "会员卡有效期 2025/12", "健身卡有效期 2026/01", "身份证有效期 2020.05.01-2040.05.01",
    "信用卡有效期 2027.05.01", "验证码有效期 10 分钟", "信用卡有效期在哪看", "卡有效期 13/27", "信用卡有效期 12/31/2025",
])
def test_not_card_expiry_dates(text):
    assert found(expiry_dates, text) == []
