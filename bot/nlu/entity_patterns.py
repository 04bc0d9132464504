"""Finders for the entities the dialogue uses, on normalised text.

Each finder returns `Span`s with the text's offsets and a normalised value:
amounts as plain decimals ("500", "25000.5"), phones as 11 digits, emails in
lower case, ticket numbers as `OK-YYYYMMDD-NNNN`, transaction times as the
words the user wrote (resolved to a date by the ticket form, not here).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator, List

from bot.nlu.numbers import NUMBER_PATTERN, parse_number


@dataclass(frozen=True)
class Span:
    entity: str
    start: int
    end: int
    value: str
    text: str


CURRENCY_WORDS = {
    "元": "CNY", "块钱": "CNY", "块": "CNY", "人民币": "CNY", "rmb": "CNY", "cny": "CNY",
    "美元": "USD", "美金": "USD", "刀": "USD", "usd": "USD",
    "欧元": "EUR", "eur": "EUR",
}
CURRENCY_SIGNS = {"¥": "CNY", "￥": "CNY", "$": "USD", "€": "EUR"}
_CURRENCY_WORD = "|".join(sorted(map(re.escape, CURRENCY_WORDS), key=len, reverse=True))
_CURRENCY_SIGN = "|".join(map(re.escape, CURRENCY_SIGNS))
_MONEY_VERB = r"(?:转账?|付款?|支付|充值?|提现?|扣款?|扣了|退款?|花了?|交了?|收款?|金额(?:是|为)?[:：]?)"

_AMOUNT = re.compile(
    rf"(?P<sign>{_CURRENCY_SIGN})\s*(?P<signed>{NUMBER_PATTERN})"
    rf"|(?P<number>{NUMBER_PATTERN})\s*(?P<word>{_CURRENCY_WORD})"
    rf"(?:(?P<jiao>[\d一二两三四五六七八九])(?:毛|角)?)?"
    rf"|{_MONEY_VERB}(?:了)?\s*(?P<bare>\d[\d,]*(?:\.\d+)?(?:[万千][\d一二三四五六七八九]?)?)"
    rf"(?:\s*(?:{_CURRENCY_WORD}))?(?![\d:：点号月日年天岁个.])"
)
_PHONE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d])")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
# Also what users type: lower case, spaces around the dashes, a dash missing.
_TICKET = re.compile(r"(?<![a-z0-9])ok\s*-?\s*(\d{8})\s*-?\s*(\d{4,6})(?!\d)", re.IGNORECASE)

_CN_SMALL = "一二两三四五六七八九十"
_DAY_WORD = (
    r"(?:大前天|前天|昨天|昨日|今天|今日|昨晚|今晚|今早|昨早"
    r"|上+(?:周|个?星期|个?礼拜)[一二三四五六日天]?|(?:本|这)?(?:周|星期|礼拜)[一二三四五六日天]"
    r"|上个?月\d{1,2}[号日]?)"
)
_DATE = (
    r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{1,2}月(?:\d{1,2}|[一二三]?十?[一二三四五六七八九十])[日号]?"
    r"|\d{1,2}[/-]\d{1,2}(?![\d/-])|\d{1,2}[号日](?![元块]))"
)
_PERIOD = r"(?:凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|半夜|夜里)"
# "3点", "15:30", "3点半" stand alone; a clock in Chinese numerals needs a
# minute part ("三点半") or a day/period before it ("下午三点"): alone, "一点"
# is more often "a little" (安全一点) than one o'clock.
_CN_CLOCK_BARE = rf"[{_CN_SMALL}]{{1,3}}点"
_CLOCK_MINUTES = rf"(?:半|\d{{1,2}}分?|[一二三]刻|[{_CN_SMALL}]{{1,3}}分)"
_CLOCK = rf"(?:\d{{1,2}}[:：]\d{{2}}|\d{{1,2}}点{_CLOCK_MINUTES}?|{_CN_CLOCK_BARE}{_CLOCK_MINUTES})"
_CLOCK_AFTER_PERIOD = rf"(?:{_CLOCK}|{_CN_CLOCK_BARE})"
_AGO = rf"(?:(?:\d+|[{_CN_SMALL}半]+)(?:个)?(?:分钟|小时|钟头)(?:之?前))"
_TIME = re.compile(
    rf"{_AGO}"
    rf"|(?:{_DAY_WORD}|{_DATE})\s*(?:{_PERIOD})?\s*(?:{_CLOCK_AFTER_PERIOD})?"
    rf"|{_PERIOD}\s*(?:{_CLOCK_AFTER_PERIOD})?"
    rf"|{_CLOCK}"
)


def find_amounts(text: str) -> Iterator[Span]:
    for match in _AMOUNT.finditer(text):
        number_text = match.group("signed") or match.group("number") or match.group("bare")
        value = parse_number(number_text)
        if value is None or value <= 0:
            continue
        if match.group("jiao"):
            value += parse_number(match.group("jiao")) / 10
        # A bare number ("转了500") starts after its verb; the verb is not the amount.
        start = match.start("bare") if match.group("bare") else match.start()
        yield Span("amount", start, match.end(), format_decimal(value), text[start : match.end()])


def find_phones(text: str) -> Iterator[Span]:
    for match in _PHONE.finditer(text):
        yield Span("phone", match.start(), match.end(), "".join(match.groups()), match.group())


def find_emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        yield Span("email", match.start(), match.end(), match.group().lower(), match.group())


def find_ticket_ids(text: str) -> Iterator[Span]:
    for match in _TICKET.finditer(text):
        date, serial = match.groups()
        yield Span("ticket_id", match.start(), match.end(), f"OK-{date}-{serial}", match.group())


def find_times(text: str, taken: List[Span] | None = None) -> Iterator[Span]:
    for match in _TIME.finditer(text):
        words = match.group().strip()
        if not words or _overlaps(match.start(), match.end(), taken or []):
            continue
        start = match.start() + (len(match.group()) - len(match.group().lstrip()))
        yield Span("txn_time", start, start + len(words), words, words)


def find_all(text: str) -> List[Span]:
    """All entity spans in `text`; identifiers win over times and amounts."""
    spans: List[Span] = []
    for finder in (find_emails, find_ticket_ids, find_phones, find_amounts):
        spans.extend(s for s in finder(text) if not _overlaps(s.start, s.end, spans))
    spans.extend(find_times(text, taken=spans))
    return sorted(spans, key=lambda span: span.start)


def format_decimal(value: Decimal) -> str:
    """'500', '25000.5': no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def _overlaps(start: int, end: int, spans: List[Span]) -> bool:
    return any(start < span.end and span.start < end for span in spans)
