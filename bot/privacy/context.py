"""What the words around a number say it is not: an order or transaction number, an amount, a count, an id.

Each pattern looks at a bounded stretch of text (a few characters before or
after the number), so using them keeps a detector linear.
"""
from __future__ import annotations

import re

#: How far before a number `other_number_before` looks.
BEFORE = 16

#: Right before a number (a few characters between at most), these say it is not a secret: "订单号：…", "order no. …".
_OTHER_NUMBER_BEFORE = re.compile(
    r"(?:订单|訂單|单号|單號|交易号|交易號|流水|工单|工單|编号|編號|(?<!账)户号|(?<!賬)戶號|发票|發票|快递|快遞|运单|運單"
    r"|批次|合同|学号|學號|工号|工號|会员号|會員號|微信号|护照|護照|社保|医保|醫保|尾号|尾號|后四位|後四位|后六位|後六位"
    r"|(?<![A-Za-z])(?:order|txn|transaction|trade|ref|invoice|tracking))[^0-9]{0,6}$",
    re.I,
)
#: A currency sign or code right before: an amount.
_CURRENCY_BEFORE = re.compile(r"(?:[¥￥$€£]|(?<![A-Za-z])(?:rmb|cny|usd|hkd))\s?$", re.I)
#: Right after a number: a unit or a count says it is an amount, a length, a time or a date.
_UNIT_AFTER = re.compile(
    r"\s{0,2}(?:位|个|個|次|秒|分|小时|小時|钟|鐘|天|周|週|年|月|日|号|號|元|块|塊|毛|角|%|％|岁|歲|笔|筆|件|期|点|點"
    r"|楼|樓|室|米|公里|斤|折|倍|条|條|张|張|人|遍|[.:][0-9]"
    r"|(?:digits?|chars?|characters?|times?|tries|seconds?|secs?|mins?|minutes?|hours?|days?|yuan|rmb|usd|kg|km)"
    r"(?![A-Za-z]))",
    re.I,
)
#: A decimal point and one or two digits right after: the number was an amount's whole part ("306672.43").
_DECIMALS_AFTER = re.compile(r"\.[0-9]{1,2}(?![0-9])")
#: An ASCII letter, or a letter and a dash or underscore, right before: part of an id ("T2024…", "OK-2026…").
_ID_PREFIX = re.compile(r"[A-Za-z][-_]?$")


def other_number_before(text: str, start: int) -> bool:
    """The words right before `start` introduce an order, transaction or other non-secret number."""
    return bool(_OTHER_NUMBER_BEFORE.search(text, max(0, start - BEFORE), start))


def amount_before(text: str, start: int) -> bool:
    return bool(_CURRENCY_BEFORE.search(text, max(0, start - 5), start))


def decimals_after(view: str, end: int) -> bool:
    """`view` (a digit view) has decimals right after `end`: the number before them is an amount."""
    return bool(_DECIMALS_AFTER.match(view, end))


def unit_after(text: str, end: int) -> bool:
    return bool(_UNIT_AFTER.match(text, end))


def glued_to_letters(text: str, start: int, end: int) -> bool:
    """The number is part of a longer id: a letter (or a letter and "-") right before it, or a letter right after."""
    return bool(_ID_PREFIX.search(text, max(0, start - 2), start)) or (end < len(text) and text[end].isascii()
                                                                         and text[end].isalpha())
