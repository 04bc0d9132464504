"""Hostile messages: one short unit repeated to any length, each aimed at a pattern's worst case.

Used by tests/privacy/test_redaction.py (steps counted, 2 KB against 20 KB)
and benchmarks/redaction_benchmark.py (time, 10 KB against 100 KB).
"""
from __future__ import annotations

from typing import Dict

UNITS: Dict[str, str] = {
    "digits read out": "1 ",
    "dashed digits": "1-",
    "digit groups": "12345 ",
    "one long number": "9",
    "card-like groups": "6222 0212 3456 7894 ",
    "list of fours": "1234,",
    "dotted fours": "1234.",
    "mixed separators": "卡号6222.0212，",
    "ID digits": "11010519491231002",
    "Chinese numerals": "六二二二",
    "password words": "密码",
    "password and verb": "密码是 ",
    "pw=": "pw=",
    "ASCII value": "password:a",
    "quote": "密码是“",
    "mixed value": "密码是我爱你1",
    "Chinese value": "我的密码叫 小白兔",
    "mima": "mima ",
    "code words": "验证码",
    "code and code": "验证码 1234 ",
    "code is": "code is ",
    "CVV": "cvv ",
    "expiry": "信用卡有效期 ",
    "expiry date": "card exp 1",
}


def hostile(unit: str, size: int) -> str:
    """`unit` repeated to exactly `size` characters."""
    return (unit * (size // len(unit) + 1))[:size]
