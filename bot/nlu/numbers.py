"""Parsing of numbers written with Chinese numerals, Arabic digits or both.

Examples: "五百" → 500, "三千五" → 3500, "两万五" → 25000, "1.5万" → 15000,
"一千零五" → 1005, "二十块五" is handled by the amount parser on top of this.
"""
from __future__ import annotations

import re
from decimal import Decimal

DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
LARGE_UNITS = {"万": 10_000, "亿": 100_000_000}

NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(LARGE_UNITS)
#: A number as users type it: starts with a digit or numeral, may mix both.
NUMBER_PATTERN = (
    rf"(?:\d[\d,]*(?:\.\d+)?|[{''.join(DIGITS)}十拾])"
    rf"(?:[\d.{NUMERAL_CHARS}点]*[\d{NUMERAL_CHARS}])?"
)
_ARABIC = re.compile(r"\d+(?:\.\d+)?")


def parse_number(text: str) -> Decimal | None:
    """Returns the value of `text`, or None when it is not a number."""
    text = text.replace(",", "").strip()
    if not text:
        return None
    if _ARABIC.fullmatch(text):
        return Decimal(text)
    if "点" in text:
        whole, _, fraction = text.partition("点")
        whole_value = parse_number(whole) if whole else Decimal(0)
        fraction_digits = "".join(
            str(DIGITS[c]) if c in DIGITS else c for c in fraction
        )
        if whole_value is None or not fraction_digits.isdigit():
            return None
        return whole_value + Decimal("0." + fraction_digits)
    return _parse_sections(text)


def _parse_sections(text: str) -> Decimal | None:
    total = Decimal(0)  # everything before the last 万/亿
    section = Decimal(0)  # the part below 万 being built
    number: Decimal | None = None  # the digit(s) waiting for a unit
    last_unit = 0
    zero_seen = False
    position = 0
    while position < len(text):
        char = text[position]
        arabic = _ARABIC.match(text, position)
        if arabic:
            number = Decimal(arabic.group())
            position = arabic.end()
            continue
        if char in DIGITS:
            if DIGITS[char] == 0:
                zero_seen = True
            number = Decimal(DIGITS[char])
        elif char in SMALL_UNITS:
            unit = SMALL_UNITS[char]
            section += (number if number is not None else Decimal(1)) * unit
            number, last_unit, zero_seen = None, unit, False
        elif char in LARGE_UNITS:
            unit = LARGE_UNITS[char]
            base = section + (number or 0)
            if base == 0 and total == 0:
                return None
            total = (total + base) * unit if unit > 10_000 else total + base * unit
            section, number, last_unit, zero_seen = Decimal(0), None, unit, False
        else:
            return None
        position += 1
    if number is not None and last_unit >= 100 and not zero_seen and number < 10:
        # Colloquial "三千五" (3500), "两万五" (25000), "一百五" (150).
        number *= last_unit // 10
    return total + section + (number or 0)
