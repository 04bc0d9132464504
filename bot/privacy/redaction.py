"""Secrets in a user's message, found and hidden before the message is stored anywhere.

OKPay staff never ask for these, and the help pages tell users never to send
them; some users do anyway. `redact(text)` finds six kinds, each written the
many ways people write it:

- `id_number`: resident ID numbers, 18 characters with a real birth date and
  a matching check character, or 15 digits after words that say it is an ID
  (`bot.privacy.identity`);
- `bank_card`: 13 to 19 digits passing the Luhn check, not a mobile, order or
  transaction number (`bot.privacy.cards`);
- `card_security_code`: 3 or 4 digits after CVV / CVC / 安全码 / 卡背后三位, and
  `card_expiry`: a month and year after 有效期 / exp / valid thru when the
  message is about a card (`bot.privacy.card_details`);
- `password`: the value after 密码 / 口令 / mima / password / pass / pwd / PIN,
  introduced by a verb (是, 叫, 就是, 改成, 设成 …), ":" or "=", "is", or nothing,
  ASCII, Chinese and ASCII mixed, or Chinese after 叫 / ":" (`bot.privacy.passwords`);
- `verification_code`: 4 to 8 digits after 验证码 / 动态码 / code / OTP, a few
  words between at most (`bot.privacy.codes`).

Numbers may be split by any separator (spaces, line breaks, dashes, dots,
slashes, underscores, commas, their full-width forms) and written in any
script's digits or in Chinese numerals ("六二二二", "〇", "幺"):
`bot.privacy.numbers`, `bot.privacy.digits`. Full-width letters count as
ASCII ones (`bot.privacy.widths`). Order and ticket numbers, amounts, dates,
times and phone numbers are left alone (`bot.privacy.context`).

The mask: every secret becomes `MASK`, "[已隐藏]", whatever its kind. Nothing
of the secret is kept, not even a card's last four digits: the user chose
to send it, not to have part of it kept, and nobody needs those digits from a
chat. The words around it stay ("密码是[已隐藏]"), so the NLU still reads what
the user was talking about. The marker has no digits and no ASCII letters,
so redacting a redacted text finds nothing.

Every pattern is linear in the text (no nested quantifiers; separators, gaps
and values are bounded), and each detector reads the text once, so a long or
hostile message costs no more per character than a short one
(`python -m benchmarks.redaction_benchmark` compares 10 KB with 100 KB).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Tuple

from bot.privacy.card_details import expiry_dates, security_codes
from bot.privacy.cards import bank_cards
from bot.privacy.codes import verification_codes
from bot.privacy.digits import digit_view
from bot.privacy.identity import id_numbers
from bot.privacy.kinds import (
    BANK_CARD,
    BLANK,
    CARD_EXPIRY,
    CARD_SECURITY_CODE,
    ID_NUMBER,
    KINDS,
    PASSWORD,
    VERIFICATION_CODE,
    Span,
)
from bot.privacy.passwords import passwords
from bot.privacy.widths import fold_width

__all__ = [
    "BANK_CARD", "CARD_EXPIRY", "CARD_SECURITY_CODE", "ID_NUMBER", "KINDS", "MASK", "PASSWORD",
    "SECRET_WARNING_RESPONSE", "VERIFICATION_CODE", "Redaction", "redact",
]

MASK = "[已隐藏]"
#: The domain response the bot sends when a message had a secret in it.
SECRET_WARNING_RESPONSE = "utter_secret_warning"

Detector = Callable[[str, str], List[Span]]
#: In this order: what one finds, the next ones do not see (an ID number is not also a card number).
DETECTORS: Tuple[Detector, ...] = (
    id_numbers, bank_cards, security_codes, expiry_dates, passwords, verification_codes,
)


@dataclass(frozen=True)
class Redaction:
    """A text with its secrets replaced by `MASK`, and the kinds found, in order of appearance, each once.

    `spans`: where the hidden secrets were in the original text, (start, end), in order.
    """

    text: str
    kinds: Tuple[str, ...] = ()
    spans: Tuple[Tuple[int, int], ...] = field(default=(), compare=False, repr=False)

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def redact(text: str) -> Redaction:
    """`text` with every secret (see the module's docstring) replaced by `MASK`."""
    if not text:
        return Redaction(text)
    folded = fold_width(text)
    view = digit_view(folded)
    spans: List[Span] = []
    for detect in DETECTORS:
        found = detect(folded, view)
        if found:
            spans += found
            folded, view = _blank(folded, found), _blank(view, found)
    if not spans:
        return Redaction(text)
    spans.sort()
    pieces, last = [], 0
    for start, end, _ in spans:
        pieces += [text[last:start], MASK]
        last = end
    pieces.append(text[last:])
    return Redaction("".join(pieces), tuple(dict.fromkeys(kind for _, _, kind in spans)),
                     tuple((start, end) for start, end, _ in spans))


def _blank(text: str, spans: List[Span]) -> str:
    """`text` with each span replaced by as many `BLANK`s, in one pass."""
    pieces, last = [], 0
    for start, end, _ in sorted(spans):
        pieces += [text[last:start], BLANK * (end - start)]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
