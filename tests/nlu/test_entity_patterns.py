import pytest

from bot.nlu.entity_patterns import find_all
from bot.nlu.normalize import normalize


def entities(text):
    return [(span.entity, span.value) for span in find_all(normalize(text))]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("转了五百块没到账", "500"),
        ("¥1200付款失败", "1200"),
        ("￥88", "88"),
        ("扣了我 99.9元", "99.9"),
        ("提现2万5", "25000"),
        ("昨天转账1.5万元", "15000"),
        ("二十块五毛", "20.5"),
        ("付款 88.8 美元", "88.8"),
        ("我转账500失败了", "500"),
        ("五百塊", "500"),
    ],
)
def test_amounts_are_normalised(text, amount):
    assert ("amount", amount) in entities(text)


@pytest.mark.parametrize("text", ["付了两次", "下午3点", "11月20日", "第2步", "我100%确定"])
def test_numbers_that_are_not_money_are_not_amounts(text):
    assert all(entity != "amount" for entity, _ in entities(text))


def test_span_offsets_point_at_the_words_in_the_text():
    text = normalize("昨天下午3点转了五百块")
    for span in find_all(text):
        assert text[span.start : span.end] == span.text


def test_phone_email_and_ticket():
    found = entities("手机 +86 138-1234-5678，邮箱 Foo@Bar.COM，工单 ok-20261121-0007")
    assert ("phone", "13812345678") in found
    assert ("email", "foo@bar.com") in found
    assert ("ticket_id", "OK-20261121-0007") in found


def test_full_width_phone_digits_are_found():
    assert ("phone", "13812345678") in entities("１３８１２３４５６７８")


def test_phone_digits_are_not_also_an_amount_or_time():
    assert entities("我的手机13812345678") == [("phone", "13812345678")]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("昨天下午3点转了五百块", "昨天下午3点"),
        ("上周五晚上8点半付的款", "上周五晚上8点半"),
        ("11月20日 15:30 提现", "11月20日 15:30"),
        ("半小时前付了300元", "半小时前"),
        ("2026-11-20 扣款", "2026-11-20"),
        ("下午三点付的", "下午三点"),
        ("三点半转的账", "三点半"),
        ("3点付款失败", "3点"),
    ],
)
def test_transaction_times(text, words):
    assert ("txn_time", words) in entities(text)


@pytest.mark.parametrize("text", ["怎样才能让账号更安全一点", "快一点好吗", "继续刚才的步骤"])
def test_words_that_look_like_times_are_not_times(text):
    assert entities(text) == []


def test_plain_text_has_no_entities():
    assert entities("我的账户被锁了怎么办") == []
    assert entities("😂😂😂") == []
