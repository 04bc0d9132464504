"""Text normalisation applied before tokenising.

Users write in Simplified and Traditional Chinese, with full-width letters and
digits from Chinese input methods. Folding them all to one form lets the
classifier learn each word once. The output keeps the input's length, so
character offsets (entity spans) stay valid.
"""
from __future__ import annotations

from functools import lru_cache

_FULL_WIDTH_START = 0xFF01  # "！"
_FULL_WIDTH_END = 0xFF5E  # "～"
_FULL_WIDTH_OFFSET = 0xFEE0
_IDEOGRAPHIC_SPACE = 0x3000


def fold_width(text: str) -> str:
    """Turns full-width ASCII forms (ＡＢＣ１２３，ideographic space) into ASCII."""
    chars = []
    for char in text:
        code = ord(char)
        if _FULL_WIDTH_START <= code <= _FULL_WIDTH_END:
            chars.append(chr(code - _FULL_WIDTH_OFFSET))
        elif code == _IDEOGRAPHIC_SPACE:
            chars.append(" ")
        else:
            chars.append(char)
    return "".join(chars)


@lru_cache(maxsize=1)
def _t2s_converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Converts Traditional Chinese to Simplified with OpenCC's phrase tables.

    Phrase conversion can change the length of a text (rarely); in that case
    the text is converted character by character so offsets stay valid.
    """
    converter = _t2s_converter()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(
        single if len(single := converter.convert(char)) == 1 else char
        for char in text
    )


#: Variant characters OpenCC leaves apart that users mix freely (帐户 / 账户).
_VARIANTS = str.maketrans({"帐": "账"})


def normalize(text: str) -> str:
    """Width-folds, simplifies, unifies variants and lower-cases Latin letters, keeping the length."""
    if not text:
        return text
    return to_simplified(fold_width(text)).translate(_VARIANTS).lower()
