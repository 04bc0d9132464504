from decimal import Decimal

import pytest

from bot.nlu.numbers import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("五百", "500"),
        ("三千五", "3500"),
        ("两万五", "25000"),
        ("一百五", "150"),
        ("一千零五", "1005"),
        ("十五", "15"),
        ("二十", "20"),
        ("1.5万", "15000"),
        ("2万5", "25000"),
        ("三点五", "3.5"),
        ("1,200", "1200"),
        ("一亿两千万", "120000000"),
        ("壹佰", "100"),
        ("500", "500"),
    ],
)
def test_parses_chinese_and_mixed_numbers(text, value):
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "块", "万", "abc"])
def test_rejects_what_is_not_a_number(text):
    assert parse_number(text) is None
