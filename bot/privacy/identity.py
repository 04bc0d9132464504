"""Resident ID numbers in a message, however they were split or written.

- 18 characters: 17 digits and a check digit or X, with a real birth date and
  a matching check character (`bot.privacy.checksums.id_number_valid`); the X
  may follow a separator ("33010620040309773 X") and be written x or ×.
- 15 digits (first-generation cards, no check digit): an area code and a real
  19YYMMDD birth date, and only after words that say it is an ID (身份证, 证件,
  实名, ID …), since 15 digits alone could be anything.

The digits may be split anywhere by the separators of `bot.privacy.numbers`
("110105-1984-0823-0184", "3702 0219 8909 1950 6X") and written in any
script or in Chinese numerals (`bot.privacy.digits`). A number introduced as
an order or transaction number, or glued to letters, is not an ID.
"""
from __future__ import annotations

import re
from typing import List, Tuple

from bot.privacy.checksums import id_number_valid, old_id_number_valid
from bot.privacy.context import glued_to_letters, other_number_before
from bot.privacy.kinds import ID_NUMBER, Span
from bot.privacy.numbers import Window, digit_runs, longest_first

#: Windows worth reading: 15 digits (first generation), 17 and an X, or 18.
ID_DIGITS = range(15, 19)
_CHECK_X = re.compile(r"[ \-.]?[Xx×](?![A-Za-z])")
#: Before a 15-digit number (within the same line, a few characters between): it is an ID.
_ID_WORDS = re.compile(
    r"(?:身份证|身份證|证件|證件|身份|实名|實名|(?<![A-Za-z])(?:id|identity)(?![A-Za-z])).{0,12}$", re.I
)


def id_numbers(folded: str, view: str) -> List[Span]:
    """Spans of the ID numbers in a message (`folded`: its `fold_width`, `view`: that text's `digit_view`)."""
    spans: List[Span] = []
    for run in digit_runs(view, ID_DIGITS.start):
        if glued_to_letters(folded, run.start, run.start) or other_number_before(folded, run.start):
            continue
        candidates: List[Tuple[Window, int, str]] = []
        for window in run.windows(view, ID_DIGITS):
            end = _id_end(folded, window, len(run.groups) - 1)
            if end is not None:
                candidates.append((window, end, ID_NUMBER))
        spans += longest_first(candidates)
    return spans


def _id_end(folded: str, window: Window, last_group: int) -> int | None:
    """Where the ID number of `window` ends (after its X, if it has one), or None if the window is none."""
    digits = window.digits
    if len(digits) == 18 and id_number_valid(digits):
        return window.end
    if len(digits) == 17 and window.last == last_group:
        check = _CHECK_X.match(folded, window.end)
        if check and id_number_valid(digits + "X"):
            return check.end()
    if len(digits) == 15 and old_id_number_valid(digits) and _ID_WORDS.search(
            folded, max(0, window.start - 16), window.start):
        return window.end
    return None
