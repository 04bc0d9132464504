"""Generated messages: ordinary ones crowded with numbers that are not secrets, and card numbers written many ways.

Seeded, so a test and the benchmark see the same messages. Templates are
support messages with dates, times, amounts, phone numbers, ticket and
order numbers side by side, where a careless reading joins two numbers into
a card number. Used by tests/privacy/test_redaction_corpus.py and
benchmarks/redaction_benchmark.py.
"""
from __future__ import annotations

import random
from typing import Callable, List, Tuple

from bot.privacy.checksums import luhn_valid

CHINESE = "零一二三四五六七八九"


class _Maker:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def digits(self, count: int) -> str:
        return "".join(self.random.choice("0123456789") for _ in range(count))

    def date(self, separator: str = "-") -> str:
        r = self.random
        return f"{r.randint(2019, 2026)}{separator}{r.randint(1, 12):02d}{separator}{r.randint(1, 28):02d}"

    def time(self) -> str:
        return f"{self.random.randint(0, 23):02d}:{self.random.randint(0, 59):02d}"

    def mobile(self) -> str:
        number = "1" + self.random.choice("3456789") + self.digits(9)
        split = f"{number[:3]} {number[3:7]} {number[7:]}"
        return self.random.choice([number, split, split.replace(" ", "-"), f"+86 {split}"])

    def amount(self) -> str:
        value = self.random.randint(1, 99_999_999) / 100
        return self.random.choice([f"{value:,.2f}", f"¥{value:,.2f}", f"{int(value)}", f"{value:.2f}"])

    def card(self, length: int) -> str:
        body = self.random.choice(["62", "4", "5", "35", "60"])
        body += self.digits(length - len(body) - 1)
        return next(body + d for d in "0123456789" if luhn_valid(body + d))


def _ordinary_templates(m: _Maker) -> List[Callable[[], str]]:
    r = m.random
    return [
        lambda: f"{m.date()} {m.time()} 付了 {m.amount()} 元",
        lambda: f"{m.date()} 至 {m.date()} 的账单",
        lambda: f"{m.date('.')} - {m.date('.')} 期间的交易",
        lambda: f"账单 {m.date('')}-{m.date('')} 帮我导出",
        lambda: f"{m.date('')} {m.date('')} 这两天都扣了",
        lambda: f"{m.date('/')} {m.date('/')} {m.date('/')} 都扣了",
        lambda: f"三笔 {m.amount()}、{m.amount()}、{m.amount()}",
        lambda: f"{m.amount()}, {m.amount()}, {m.amount()}, {m.amount()}",
        lambda: f"电话 {m.mobile()} {m.mobile()}",
        lambda: f"{m.mobile()}、{m.mobile()} 都收不到短信",
        lambda: f"座机 0{m.digits(2)}-{m.digits(8)}、0{m.digits(3)}-{m.digits(7)}",
        lambda: f"工单 OK-{m.date('')}-{m.digits(4)} 和 OK-{m.date('')}-{m.digits(4)}",
        lambda: f"交易号 T{m.digits(20)}",
        lambda: f"流水 {m.digits(4)} {m.digits(4)} {m.digits(4)} {m.digits(4)}",
        lambda: f"验证码等了 {r.randint(10, 300)} 秒 还没来 {m.mobile()}",
        lambda: f"验证码发到 {m.mobile()} 了吗",
        lambda: f"订单 {m.digits(16)} 付款 {m.amount()}",
        lambda: f"{r.randint(1, 12)}/{r.randint(1, 28)} {m.time()} 转账 {m.amount()}",
        lambda: f"时间 {m.date()}T{m.time()}:{r.randint(10, 59)}+08:00",
        lambda: f"优惠券有效期 {r.randint(1, 12):02d}/{r.randint(24, 30)}",
        lambda: f"第 {r.randint(1, 9)} {r.randint(1, 9)} {r.randint(1, 9)} 步都做了",
        lambda: f"版本 {r.randint(1, 20)}.{r.randint(0, 20)}.{r.randint(0, 99)} build {m.digits(6)}",
        lambda: f"{m.amount()}元 {m.date()} {m.mobile()}",
        lambda: f"金额 {m.amount()} 时间 {m.date()} {m.time()} 订单 {m.digits(18)}",
        lambda: f"{r.randint(1, 31)}号 {r.randint(1, 31)}号 {r.randint(1, 31)}号 各付了 {r.randint(100, 9999)}",
        lambda: f"地址 {r.randint(1, 300)} 号 {r.randint(1, 30)} 栋 {r.randint(100, 3000)} 室 电话 {m.mobile()}",
    ]


def ordinary_messages(count: int, seed: int = 20261121) -> List[str]:
    """`count` ordinary messages full of numbers, none of them a secret."""
    maker = _Maker(seed)
    templates = _ordinary_templates(maker)
    return [templates[index % len(templates)]() for index in range(count)]


def card_messages(count: int, seed: int = 20261121) -> List[Tuple[str, str]]:
    """`count` (message, card number as written in it): 13 to 19 digits, grouped, spaced, in Chinese numerals."""
    maker = _Maker(seed)
    r = maker.random
    contexts = ["卡号{}", "我的卡号是 {}", "{} 帮我看看", "银行卡：{}，谢谢", "card {} pls", "卡號{}。",
                "付款用的卡 {} 失败了", "{}"]
    found = []
    for _ in range(count):
        number = maker.card(r.choice([16, 16, 16, 19, 19, 13, 15]))
        style = r.randint(0, 9)
        if style < 7:
            separator = r.choice([" ", "-", ".", "/", "_", "，", "、", "\u3000", "\n", " - ", "—", ","])
            written = separator.join(number[i:i + 4] for i in range(0, len(number), 4))
        elif style == 7:
            written = " ".join(number)
        elif style == 8:
            written = "".join(CHINESE[int(d)] for d in number)
        else:
            written = number
        found.append((r.choice(contexts).format(written), written))
    return found
