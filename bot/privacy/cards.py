"""Bank card numbers in a message, however they were split or written.

13 to 19 digits that pass the Luhn check, in one piece or split by any of
the separators of `bot.privacy.numbers` ("6222.0212.3456.7894",
"6222，0212，…", "6227 0017\\n6031 3728", "6 2 2 2 …"), in any script or in
Chinese numerals (`bot.privacy.digits`: "六二二二零二…", "〇", "幺").

A number that a card word introduces ("卡号 6222.0212.3456.7890", "银行卡是…",
"card number …") is hidden with 15 to 19 digits even when it fails the Luhn
check: people mistype card numbers, and a number one digit off a real card
is as sensitive as the card.

Not cards: mobile numbers (also with 86 before), a run of one repeated
digit, numbers introduced as an order, transaction or other number (订单号,
交易号, 流水, order …), numbers glued to letters ("T2024…", "OK-2026…"),
amounts ("306672.43", "¥…"), numbers split by commas, dots or slashes other
than in fours (lists of amounts: "220468、750991、546457"), pairs of dates
("20241101-20241130"), and digits taken from phone numbers next to each
other ("155 3775 7367 17197422066", "0755-8888 6666 …": no window takes a
group of a phone number).
"""
from __future__ import annotations

import re
from datetime import date
from typing import List, Set, Tuple

from bot.privacy.checksums import luhn_valid
from bot.privacy.context import amount_before, decimals_after, glued_to_letters, other_number_before
from bot.privacy.kinds import BANK_CARD, Span
from bot.privacy.numbers import LIST_CLASSES, Run, Window, digit_runs, longest_first

CARD_DIGITS = range(13, 20)
_MOBILE_DIGITS = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
#: How people split a mobile number (digits per group), and a landline's number after its area code.
_MOBILE_LAYOUTS = ((11,), (3, 4, 4), (3, 8), (7, 4))
_LANDLINE_LAYOUTS = ((7,), (8,), (3, 4), (4, 4))
_COUNTRY_CODE = ("86", "0086")
_AREA_CODE = re.compile(r"0[1-9][0-9]{1,2}")
_DATE = re.compile(r"(?:19|20)[0-9]{6}")


#: A card word right before a number: "卡号", "银行卡是", "信用卡号码：", "card number", "card no." …
_CARD_NUMBER_WORD = re.compile(
    r"(?:卡号|卡號|(?:银行|銀行|信用|借记|借記|储蓄|儲蓄)卡(?:号|號)?(?:码|碼)?"
    r"|(?<![a-z])card\s?(?:number|num|no\.?|#)?)\s?(?:是|为|為|:|：|=)?\s?$"
)
#: Digits of a mistyped card number that a card word introduces (shorter ones are account tails, amounts …).
INTRODUCED_CARD_DIGITS = range(15, 20)


def is_card_number(digits: str, introduced: bool = False) -> bool:
    """13 to 19 ASCII digits passing Luhn (15 to 19 in any case after a card word) that are not a mobile
    number nor one repeated digit."""
    return (
        len(digits) in (INTRODUCED_CARD_DIGITS if introduced else CARD_DIGITS)
        and digits.count(digits[0]) != len(digits)
        and not _MOBILE_DIGITS.fullmatch(digits)
        and (introduced or luhn_valid(digits))
    )


def _introduced_by_a_card_word(folded: str, start: int) -> bool:
    return _CARD_NUMBER_WORD.search(folded[max(0, start - 20):start].lower()) is not None


def bank_cards(folded: str, view: str) -> List[Span]:
    """Spans of the card numbers in a message (`folded`: its `fold_width`, `view`: that text's `digit_view`)."""
    spans: List[Span] = []
    for run in digit_runs(view, CARD_DIGITS.start):
        if (glued_to_letters(folded, run.start, run.end) or other_number_before(folded, run.start)
                or amount_before(folded, run.start)):
            continue
        phones = phone_groups(view, run)
        introduced = _introduced_by_a_card_word(folded, run.start)
        candidates: List[Tuple[Window, int, str]] = [
            (window, window.end, BANK_CARD) for window in run.windows(view, CARD_DIGITS)
            if (is_card_number(window.digits) or (introduced and window.first == 0
                                                  and is_card_number(window.digits, introduced=True)))
            and phones.isdisjoint(range(window.first, window.last + 1))
            and _card_layout(run, window) and not decimals_after(view, window.end)
            and not _dates_only(view, run, window)
        ]
        spans += longest_first(candidates)
    return spans


def phone_groups(view: str, run: Run) -> Set[int]:
    """The groups of `run` that make up mobile numbers (with 86 before them) and landlines (with their area code)."""
    lengths = [end - start for start, end in run.groups]
    found: Set[int] = set()
    for first in range(len(run.groups)):
        for layout in _MOBILE_LAYOUTS:
            last = first + len(layout) - 1
            if tuple(lengths[first:last + 1]) == layout and _same_separators(run, first, last):
                if _MOBILE_DIGITS.fullmatch(run.digits(view, first, last)):
                    country = first > 0 and run.digits(view, first - 1, first - 1) in _COUNTRY_CODE
                    found.update(range(first - country, last + 1))
        if _AREA_CODE.fullmatch(run.digits(view, first, first)) and _starts_a_number(run, first):
            for layout in _LANDLINE_LAYOUTS:
                last = first + len(layout)
                if tuple(lengths[first + 1:last + 1]) == layout and _same_separators(run, first + 1, last):
                    found.update(range(first, last + 1))
    return found


def _starts_a_number(run: Run, group: int) -> bool:
    """The group starts the run, or follows a separator of another class than the one after it.

    "0755-8888 6666" and "…、0755-88886666" start with an area code; the 0212 of "6222 0212 3456 7890" does not.
    """
    if group == 0:
        return True
    after = run.separators[group] if group < len(run.separators) else None
    return run.separators[group - 1] != after


def _same_separators(run: Run, first: int, last: int) -> bool:
    return len({*run.separators[first:last]}) <= 1


def _card_layout(run: Run, window: Window) -> bool:
    """Split by commas, dots or slashes (which also list amounts: "220468、750991、546457"), a card is in fours."""
    if window.first == window.last or run.separators[window.first] not in LIST_CLASSES:
        return True
    return all(end - start == 4 for start, end in run.groups[window.first:window.last])


def _dates_only(view: str, run: Run, window: Window) -> bool:
    """Every group of the window is a date written YYYYMMDD ("20241101-20241130")."""
    return all(_is_date(view[start:end]) for start, end in run.groups[window.first:window.last + 1])


def _is_date(digits: str) -> bool:
    if not _DATE.fullmatch(digits):
        return False
    try:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return True
