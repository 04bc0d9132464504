"""The words around a number that say it is not a secret."""
import pytest

from bot.privacy.context import amount_before, decimals_after, glued_to_letters, other_number_before, unit_after


@pytest.mark.parametrize("before", [
    "订单号 ", "订单号：", "訂單 ", "交易号:", "交易單號 ", "流水 ", "工单 ", "编号 ", "电费户号 ", "发票号码 ",
    "快递单号 ", "批次 ", "合同编号 ", "学号 ", "尾号", "后四位 ",
    "Order No. ", "txn ", "transaction id: ", "ref ", "invoice #",
])
def test_words_that_introduce_other_numbers(before):
    assert other_number_before(before + "6222", len(before))


@pytest.mark.parametrize("before", [
    "卡号 ", "卡號：", "我的账户号 ", "card no. ", "身份证号码是 ", "visa ", "", "我转账的订单很多，卡号是 ",
])
def test_words_that_do_not(before):
    assert not other_number_before(before + "6222", len(before))


@pytest.mark.parametrize(("text", "start", "expected"), [
    ("¥1234", 1, True), ("￥ 1234", 2, True), ("$1234", 1, True), ("RMB 1234", 4, True), ("卡 1234", 2, False),
    ("FARMB1234", 5, False),  # a word ending in rmb is no currency
])
def test_currency_before(text, start, expected):
    assert amount_before(text, start) is expected


@pytest.mark.parametrize("after", [
    "秒", " 分钟", "次", "年", "月", "元", " 块", "%", "位", "号", ".5", ":30", " times", " seconds", "天",
])
def test_units_after(after):
    assert unit_after("1234" + after, 4)


@pytest.mark.parametrize("after", ["", " 能用吗", "，谢谢", " code", "吗", "abc", " 帮我看看"])
def test_no_unit_after(after):
    assert not unit_after("1234" + after, 4)


def test_decimals_after():
    assert decimals_after("306672.43", 6) and decimals_after("306672.4 元", 6)
    assert not decimals_after("6222.0212", 4) and not decimals_after("6222", 4)


@pytest.mark.parametrize(("text", "start", "end", "expected"), [
    ("T20241120", 1, 9, True), ("OK-20261121", 3, 11, True), ("wx_1234", 3, 7, True), ("1234abc", 0, 4, True),
    ("卡号1234", 2, 6, False), ("visa 1234", 5, 9, False), ("1234 abc", 0, 4, False), ("1234", 0, 4, False),
])
def test_numbers_glued_to_letters(text, start, end, expected):
    assert glued_to_letters(text, start, end) is expected
