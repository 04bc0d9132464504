"""Full-width characters folded to ASCII, one character for one, so positions stay valid."""
from __future__ import annotations

_FOLDED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@#$%&*+-/=_~^."
_TABLE = {ord(ch) + 0xFEE0: ch for ch in _FOLDED}
_TABLE[0x3000] = " "  # ideographic space


def fold_width(text: str) -> str:
    """`text` with full-width digits, letters and a few symbols as ASCII ("１３８" → "138").

    Chinese punctuation (，。：！？) is kept: it ends a value rather than being part of it.
    The result has the same length as `text`, so a span found in one is the same span in the other.
    """
    return text.translate(_TABLE)
