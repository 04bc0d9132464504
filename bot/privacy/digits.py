"""A text's digits as ASCII digits, whatever script or numerals they were written in, one character for one.

`digit_view(text)` turns into "0"–"9":

- every Unicode decimal digit (`unicodedata.decimal`: full-width "６", Arabic-Indic
  "٦", Devanagari "६", mathematical "𝟔" …);
- digits that NFKC turns into one ASCII digit: superscripts and subscripts
  ("²", "₂"), circled and dingbat digits ("②", "❷");
- Chinese numerals as people read out a number digit by digit: 零 〇 一 二 三
  四 五 六 七 八 九, 幺 for 1 (as in 幺三八), and the financial forms 壹 贰 叁 肆
  伍 陆 柒 捌 玖 (also 貳 參 陸) — only in a run of 3 or more, so the 一 of
  一直 or the 五 of 五百块 stays a word.

Everything else is kept, and the view has the length of the text, so a span
found in one is the same span in the other.
"""
from __future__ import annotations

import re
import unicodedata

CHINESE_DIGITS = {
    **dict.fromkeys("零〇", "0"), **dict.fromkeys("一幺壹", "1"), **dict.fromkeys("二贰貳", "2"),
    **dict.fromkeys("三叁參", "3"), "四": "4", "肆": "4", "五": "5", "伍": "5", **dict.fromkeys("六陆陸", "6"),
    "七": "7", "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9",
}
#: How many Chinese numerals in a row make a number rather than a word.
CHINESE_RUN = 3

_CHINESE_TABLE = str.maketrans(CHINESE_DIGITS)
_CHINESE_RUN = re.compile(f"[{''.join(CHINESE_DIGITS)}]{{{CHINESE_RUN},}}")
#: Blocks holding digits that are not decimal digits but NFKC to one (superscripts, enclosed, dingbats).
_COMPATIBILITY_BLOCKS = ((0xB2, 0xBA), (0x2070, 0x20A0), (0x2460, 0x2500), (0x2776, 0x2794), (0x1F100, 0x1F10D))


def _compatibility_digits() -> str:
    found = []
    for first, end in _COMPATIBILITY_BLOCKS:
        for code in range(first, end):
            normal = unicodedata.normalize("NFKC", chr(code))
            if len(normal) == 1 and "0" <= normal <= "9" and unicodedata.decimal(chr(code), None) is None:
                found.append(chr(code))
    return "".join(found)


_COMPATIBILITY = {char: unicodedata.normalize("NFKC", char) for char in _compatibility_digits()}
#: Non-ASCII characters that stand for a digit: `\d` is every Unicode decimal digit in a `str` pattern.
_OTHER_DIGIT = re.compile(f"(?![0-9])\\d|[{''.join(_COMPATIBILITY)}]")


def _ascii_digit(match: re.Match) -> str:
    char = match.group()
    return _COMPATIBILITY.get(char) or str(unicodedata.decimal(char))


def digit_view(text: str) -> str:
    """`text` with every character that stands for a digit written as that ASCII digit ("卡号六二二二" → "卡号6222")."""
    view = _OTHER_DIGIT.sub(_ascii_digit, text)
    return _CHINESE_RUN.sub(lambda run: run.group().translate(_CHINESE_TABLE), view)
