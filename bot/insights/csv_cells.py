"""Cells of a CSV file that a spreadsheet opens as text, never as a formula (CSV injection).

Excel, LibreOffice and WPS run a cell that starts with `=`, `+`, `-` or `@`
as a formula (`=HYPERLINK("http://…","点我")` in a user's message would be a
link in a supervisor's spreadsheet), and some trim leading blanks or read a
tab or carriage return first. Such a cell gets a leading `'` (OWASP), which
spreadsheets show as text; so do cells whose first character after any
leading blanks (spaces, tabs, line breaks, full-width and zero-width spaces) is
one of those, and the full-width `＝ ＋ － ＠` an input method types. A cell
that is a plain decimal number ("-12.50", "+5") is left as it is: a
spreadsheet reads it as that number, it cannot be a formula. Numbers (int,
float, Decimal) and empty cells pass unchanged.
"""
from __future__ import annotations

import re
from typing import Any

#: What makes a spreadsheet read a cell as a formula (or, for tab and carriage return, start one).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
#: Zero-width characters (not whitespace to Python) a spreadsheet may ignore before a formula.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell a spreadsheet shows as text (see the module's doc); anything but text unchanged."""
    if not isinstance(value, str) or not value or _NUMBER.fullmatch(value):
        return value
    shown = next((i for i, char in enumerate(value) if not (char.isspace() or char in _INVISIBLE)), len(value))
    if value[0] in FORMULA_STARTS or value[shown:shown + 1] in FORMULA_STARTS:
        return "'" + value
    return value
