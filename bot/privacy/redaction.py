"""Secrets in a user's message, found and hidden before the message is stored anywhere.

OKPay staff never ask for these, and the help pages tell users never to send
them; some users do anyway. `redact(text)` finds four kinds:

- `bank_card`: 13 to 19 digits, in one piece or in groups split by spaces or
  dashes ("6222 0212 3456 7890 128"), that pass the Luhn check. Mobile numbers
  (also with +86) and numbers introduced as an order or transaction number are
  not cards, nor is a run of one repeated digit.
- `id_number`: an 18-character resident ID number (17 digits and a digit or X)
  with a real birth date and a matching ISO 7064 MOD 11-2 check character.
- `password`: the value after 密码 / 口令 / password / pwd / pw / pin. After an
  explicit "是", "为", ":" or "=" any ASCII value of 3 characters or more; after
  "is" one that is not an ordinary lower-case word ("password is wrong" is not
  a secret); after no separator at all ("密码 12345678") only a value of 4 or
  more characters with a digit in it. Words (忘记密码了, 密码错误, 密码是什么意思)
  and lengths (密码是8-16位) are not values.
- `verification_code`: 4 to 8 digits after 验证码 / 校验码 / 动态码 / code / OTP
  ("error code 1234" excepted).

Full-width digits and letters count as ASCII ones (`bot.privacy.widths`).

The mask: every secret becomes `MASK`, "[已隐藏]", whatever its kind. Nothing
of the secret is kept, not even a card's last four digits: the user chose
to send it, not to have part of it kept, and nobody needs those digits from a
chat. The words around it stay ("密码是[已隐藏]"), so the NLU still reads what
the user was talking about. The marker has no digits and no ASCII letters,
so redacting a redacted text finds nothing.

Every pattern is linear in the text (no nested quantifiers; separators are
bounded), so a long or hostile message costs no more than a short one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, List, Tuple

from bot.privacy.checksums import id_number_valid, luhn_valid
from bot.privacy.widths import fold_width

BANK_CARD = "bank_card"
ID_NUMBER = "id_number"
PASSWORD = "password"
VERIFICATION_CODE = "verification_code"
KINDS = (BANK_CARD, ID_NUMBER, PASSWORD, VERIFICATION_CODE)

MASK = "[已隐藏]"
#: The domain response the bot sends when a message had a secret in it.
SECRET_WARNING_RESPONSE = "utter_secret_warning"

#: Stands in for a secret already found, so the next detector does not see it (not a digit, not printable ASCII).
_BLANK = "\x00"

Span = Tuple[int, int, str]


@dataclass(frozen=True)
class Redaction:
    """A text with its secrets replaced by `MASK`, and the kinds found, in order of appearance, each once."""

    text: str
    kinds: Tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def redact(text: str) -> Redaction:
    """`text` with every password, verification code, bank card and ID number replaced by `MASK`."""
    if not text:
        return Redaction(text)
    work = fold_width(text)
    spans: List[Span] = []
    detectors: Tuple[Callable[[str], List[Span]], ...] = (_id_numbers, _bank_cards, _passwords, _verification_codes)
    for detect in detectors:
        found = detect(work)
        spans.extend(found)
        for start, end, _ in found:
            work = work[:start] + _BLANK * (end - start) + work[end:]
    if not spans:
        return Redaction(text)
    spans.sort()
    pieces, last = [], 0
    for start, end, _ in spans:
        pieces += [text[last:start], MASK]
        last = end
    pieces.append(text[last:])
    return Redaction("".join(pieces), tuple(dict.fromkeys(kind for _, _, kind in spans)))


# ------------------------------------------------------------------ ID numbers
_ID_NUMBER = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}[ -]?(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][ -]?[0-9]{3}[0-9Xx](?![0-9])"
)


def _id_numbers(text: str) -> List[Span]:
    return [
        (match.start(), match.end(), ID_NUMBER)
        for match in _ID_NUMBER.finditer(text)
        if id_number_valid(match.group().replace(" ", "").replace("-", ""))
    ]


# ------------------------------------------------------------------ bank cards
CARD_DIGITS = range(13, 20)
_DIGIT_RUN = re.compile(r"[0-9]+(?:[ -]{1,3}[0-9]+)*")
_DIGIT_GROUP = re.compile(r"[0-9]+")
_MOBILE_DIGITS = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
#: Right before a number, these say it is not a card ("订单号：…", "order no. …").
_OTHER_NUMBER_BEFORE = re.compile(
    r"(?:订单|訂單|单号|單號|交易号|交易號|流水号|流水號|工单|工單|(?<![A-Za-z])(?:order|txn|transaction|ref))[^0-9]{0,6}$",
    re.I,
)


def _is_card_number(digits: str) -> bool:
    return (
        len(digits) in CARD_DIGITS
        and digits.count(digits[0]) != len(digits)
        and not _MOBILE_DIGITS.fullmatch(digits)
        and luhn_valid(digits)
    )


def _bank_cards(text: str) -> List[Span]:
    spans: List[Span] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in _DIGIT_GROUP.finditer(text, run.start(), run.end())]
        spans += _cards_in_run(text, groups)
    return spans


def _cards_in_run(text: str, groups: List[Tuple[int, int]]) -> List[Span]:
    """Card numbers made of whole consecutive groups of a run; the longest win, then the first."""
    candidates = []
    for first in range(len(groups)):
        digits, start = "", groups[first][0]
        for last in range(first, len(groups)):
            digits += text[groups[last][0]:groups[last][1]]
            if len(digits) > CARD_DIGITS[-1]:
                break
            if _is_card_number(digits) and not _OTHER_NUMBER_BEFORE.search(text, max(0, start - 16), start):
                candidates.append((-len(digits), first, last))
    spans: List[Span] = []
    taken: set[int] = set()
    for _, first, last in sorted(candidates):
        if taken.isdisjoint(range(first, last + 1)):
            taken.update(range(first, last + 1))
            spans.append((groups[first][0], groups[last][1], BANK_CARD))
    return spans


# ------------------------------------------------ passwords and verification codes
#: Between a keyword and its value: a few spaces, "是" / "为" / ":" / "=" / "is", twice at most ("是：").
_SEPARATOR = re.compile(r"\s{0,3}(?:(?:是|为|為|[:：=]|(?:is|was)(?=\s))\s{0,3}){0,2}", re.I)
_EXPLICIT = re.compile(r"[是为為:：=]")
_WORDY = re.compile(r"is|was", re.I)

_PASSWORD_WORD = re.compile(
    r"密码|密碼|口令|(?<![A-Za-z])(?:password|passwd|passcode|pwd|pw|pin)(?![A-Za-z])(?:码|碼)?", re.I
)
_PASSWORD_VALUE = re.compile(r"[!-~]+")
#: "密码是8-16位", "password 8 characters": a length, not a password.
_COUNTING_WORD = re.compile(r"\s?(?:位|个|個|次|字|characters?|chars?|digits?)(?![A-Za-z])", re.I)
#: "密码是******": the user hid it already.
_SELF_MASKED = re.compile(r"[*xX#?.]+")
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

_CODE_WORD = re.compile(
    r"验证码|驗證碼|校验码|校驗碼|动态码|動態碼|短信码|短信碼|确认码|確認碼|(?<![A-Za-z])(?:code|otp)(?![A-Za-z])", re.I
)
_CODE_VALUE = re.compile(r"[0-9]{4,8}(?![0-9])")
#: Codes that are not secrets: "error code 1234", "zip code 100000".
_OTHER_CODE_BEFORE = re.compile(
    r"(?<![A-Za-z])(?:error|err|zip|postal|post|promo|coupon|invite|invitation|referral|country|area|status|tracking)"
    r"[ _-]?$",
    re.I,
)


def _passwords(text: str) -> List[Span]:
    spans: List[Span] = []
    for word in _PASSWORD_WORD.finditer(text):
        separator = _SEPARATOR.match(text, word.end())
        value = _PASSWORD_VALUE.match(text, separator.end())
        if value and _looks_like_password(text, separator.group(), value):
            spans.append((value.start(), value.end(), PASSWORD))
    return spans


def _looks_like_password(text: str, separator: str, value: re.Match) -> bool:
    core = value.group().rstrip(_TRAILING_PUNCTUATION)
    if len(core) < 3 or _SELF_MASKED.fullmatch(core) or _COUNTING_WORD.match(text, value.end()):
        return False
    if _EXPLICIT.search(separator):
        return True
    if _WORDY.search(separator):  # "my password is hunter2", not "my password is wrong"
        return not core.isalpha() or any(char.isupper() for char in core[1:])
    return len(core) >= 4 and any(char.isdigit() for char in core)


def _verification_codes(text: str) -> List[Span]:
    spans: List[Span] = []
    for word in _CODE_WORD.finditer(text):
        if word.group().isascii() and _OTHER_CODE_BEFORE.search(text, max(0, word.start() - 16), word.start()):
            continue
        value = _CODE_VALUE.match(text, _SEPARATOR.match(text, word.end()).end())
        if value:
            spans.append((value.start(), value.end(), VERIFICATION_CODE))
    return spans
