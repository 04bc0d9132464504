"""Check digits of bank card numbers (Luhn) and Chinese resident ID numbers (ISO 7064 MOD 11-2).

Also the first-generation (15-digit) ID numbers, which have no check digit: an
area code, a birth date without the century (19YYMMDD) and a sequence number.
"""
from __future__ import annotations

from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def luhn_valid(digits: str) -> bool:
    """True when the ASCII digit string passes the Luhn check (every card number does)."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number whose first 17 digits are given."""
    total = sum(int(char) * weight for char, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def id_birth_date_plausible(number: str, today: date | None = None) -> bool:
    """True when characters 7–14 are a real date between 1900-01-01 and today."""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= (today or date.today())


def id_number_valid(number: str, today: date | None = None) -> bool:
    """True for an 18-character resident ID number with a plausible birth date and a matching check character."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    return id_birth_date_plausible(number, today) and id_check_char(number[:17]) == number[17].upper()


def old_id_number_valid(number: str, today: date | None = None) -> bool:
    """True for a 15-digit first-generation ID number: an area code starting 1–8 and a real 19YYMMDD birth date."""
    if len(number) != 15 or not number.isascii() or not number.isdigit() or number[0] not in "12345678":
        return False
    return id_birth_date_plausible(f"{number[:6]}19{number[6:12]}", today)
