"""Numbers for the privacy tests: card numbers that pass Luhn, ID numbers with their check character."""
from __future__ import annotations

from bot.privacy.checksums import id_check_char, luhn_valid

CARD = "6222021234567890128"  # 19 digits, passes Luhn
CARD16 = "6222021234567894"  # the review's dotted example with its Luhn digit: 6222.0212.3456.7894
ID = "11010519491231002X"  # the standard's own example
OLD_ID = "110105491231002"  # the same person's first-generation (15-digit) number


def with_luhn_digit(prefix: str) -> str:
    """`prefix` and the digit that makes it pass Luhn."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def with_check_char(first17: str) -> str:
    return first17 + id_check_char(first17)


def chinese(digits: str, zero: str = "零", one: str = "一") -> str:
    """Digits read out in Chinese numerals, 0 as `zero` (零 or 〇) and 1 as `one` (一 or 幺)."""
    return "".join({"0": zero, "1": one}.get(d) or "零一二三四五六七八九"[int(d)] for d in digits)
