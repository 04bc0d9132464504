"""CSV cells a spreadsheet shows as text: formulas neutralised (OWASP), numbers left numbers."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from bot.insights.csv_cells import safe_cell
from bot.insights.exports import as_csv

LINK = '=HYPERLINK("http://x","点我")'


@pytest.mark.parametrize("text", [
    LINK, "+1+1", "-1+1", "-2-cmd|' /C calc'!A0", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "\tplain after a tab",
    "\rplain after a return", " =1+1", "\u3000=1+1", "\xa0=1+1", "\n@SUM(A1)", "\u200b=1+1", "\ufeff=1+1",
    " \u200b \t-1+1", "＝HYPERLINK(\"http://x\")", "＋1", "－1", "＠SUM(A1)", "=", "-", "- 第一步",
])
def test_a_cell_a_spreadsheet_would_read_as_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [
    "提现没到账", "HYPERLINK(x)", "a=1", "1+1", "邮箱 a@b.com", "", None, "  空格开头", "\u200b看不见的开头",
    # Numbers stay numbers: a spreadsheet reads them as the number, never as a formula.
    "-12.50", "+5", "-3", "500.00", 4, -2, 0.95, Decimal("-12.50"),
])
def test_other_cells_and_numbers_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_every_cell_of_a_csv_export_is_neutralised_lists_included():
    rows = [{"text": LINK, "steps_tried": ["=1+1", "检查网络"], "amount": "-12.50", "rating": -1}]
    body = "".join(as_csv(rows, ["text", "steps_tried", "amount", "rating"]))
    parsed = next(csv.DictReader(io.StringIO(body)))
    assert parsed == {"text": "'" + LINK, "steps_tried": "'=1+1; 检查网络", "amount": "-12.50", "rating": "-1"}
