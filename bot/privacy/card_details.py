"""A card's security code (CVV) and expiry date in a message.

- `card_security_code`: 3 or 4 digits after CVV / CVC / CVN / CID / security
  code / 安全码 / 卡背后三位 (背面的三位数, 背后的三个数字 …), a few words between
  at most ("cvv是 618", "卡背面的三位数 074"), also read out digit by digit
  ("5 8 2", "六零九").
- `card_expiry`: a month and year (08/27, 12/2028, 07-28, 2029/01, 2027年5月,
  0827) right after an expiry word (有效期, 到期日, 过期时间, exp, expiry, valid
  thru …), when the card is what the message is about: a card word (信用卡,
  银行卡, 卡号, 卡的有效期, card, visa …) shortly before, or a card number or
  security code already hidden there. "优惠券有效期到 12/31", "会员卡有效期
  2025/12" and full dates ("2020.05.01") are not card expiry dates.

Words, gaps and values are bounded, so both stay linear.
"""
from __future__ import annotations

import re
from typing import List

from bot.privacy.context import amount_before, unit_after
from bot.privacy.kinds import BLANK, CARD_EXPIRY, CARD_SECURITY_CODE, Span
from bot.privacy.numbers import run_at

SECURITY_CODE_DIGITS = range(3, 5)
_SECURITY_WORD = re.compile(
    r"(?<![A-Za-z])(?:cvv2?|cvc2?|cvn2?|cid|csc|security\s?code|card\s?verification(?:\s?(?:code|value))?)(?![A-Za-z])"
    r"|安全码|安全碼|卡?(?:背面|背后|背後|反面|后面|後面)的?(?:三|3)\s?(?:位|个|個)(?:数字|數字|数|數|码|碼)?",
    re.I,
)
#: Between a word and its value: no digit, no end of sentence, a few characters at most ("是", "：", " is ").
_GAP = re.compile(r"[^0-9\n。！？!?]{0,8}(?=[0-9])")

_EXPIRY_WORD = re.compile(
    r"有效期|有效日期|到期日|到期时间|到期時間|过期时间|過期時間|过期日|過期日"
    r"|(?<![A-Za-z])(?:exp(?:iry|iration|ires)?(?:\s?date)?|valid\s?(?:thru|through|until)|good\s?thru)(?![A-Za-z])",
    re.I,
)
_CARD_ONLY_EXPIRY = re.compile(r"valid|good", re.I)
_MONTH = r"(?:0?[1-9]|1[0-2])"
_EXPIRY_DATE = re.compile(
    rf"(?:{_MONTH}\s?[/\-.]\s?(?:20)?[0-9]{{2}}|20[0-9]{{2}}\s?(?:[/\-.]|年)\s?{_MONTH}月?|(?:0[1-9]|1[0-2])[0-9]{{2}})"
    r"(?![0-9]|\s?[/\-.]\s?[0-9])"
)
#: The card is what the expiry date is about: these words within CARD_CONTEXT characters before the expiry word.
CARD_CONTEXT = 24
_NOT_A_BANK_CARD = "".join(f"(?<!{word})" for word in (
    "会员", "會員", "礼品", "禮品", "购物", "購物", "公交", "交通", "学生", "學生", "健身", "优惠", "優惠", "积分", "積分",
    "社保", "医保", "醫保", "电话", "電話", "流量", "游戏", "遊戲", "门", "門", "房", "饭", "飯", "年", "月", "次", "季",
))
_CARD_WORD = re.compile(
    r"信用卡|银行卡|銀行卡|借记卡|借記卡|储蓄卡|儲蓄卡|卡号|卡號|卡片|这张卡|這張卡|我的卡|银联|銀聯|安全码|安全碼"
    rf"|{_NOT_A_BANK_CARD}卡(?=的?(?:有效|到期|过期|過期))"
    r"|(?<![A-Za-z])(?:card|visa|master(?:card)?|amex|jcb|unionpay|cvv|cvc)(?![A-Za-z])",
    re.I,
)


def security_codes(folded: str, view: str) -> List[Span]:
    """Spans of the card security codes in a message (`folded`: its `fold_width`, `view`: its `digit_view`)."""
    spans: List[Span] = []
    for word in _SECURITY_WORD.finditer(folded):
        gap = _GAP.match(view, word.end())
        run = run_at(view, gap.end()) if gap else None
        if run is None or amount_before(folded, run.start):
            continue
        for window in run.leading(view, SECURITY_CODE_DIGITS):
            if not unit_after(folded, window.end):
                spans.append((window.start, window.end, CARD_SECURITY_CODE))
                break
    return spans


def expiry_dates(folded: str, view: str) -> List[Span]:
    """Spans of the card expiry dates in a message (`folded`: its `fold_width`, `view`: its `digit_view`)."""
    spans: List[Span] = []
    for word in _EXPIRY_WORD.finditer(folded):
        gap = _GAP.match(view, word.end())
        value = _EXPIRY_DATE.match(view, gap.end()) if gap else None
        if value and run_at(view, value.start()) is not None and _about_a_card(folded, word):
            spans.append((value.start(), value.end(), CARD_EXPIRY))
    return spans


def _about_a_card(folded: str, word: re.Match) -> bool:
    before = max(0, word.start() - CARD_CONTEXT)
    return (bool(_CARD_ONLY_EXPIRY.match(word.group())) or BLANK in folded[before:word.start()]
            or bool(_CARD_WORD.search(folded, before, word.end())))
