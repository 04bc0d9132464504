"""Phone numbers and e-mail addresses, masked for people who need to know they are there but not what they are.

Unlike secrets, contacts are kept (the agent handling a ticket calls or
writes back); agents who do not handle the conversation see them masked:

- mainland mobile numbers (11 digits, 1[3-9]…, also written with +86, spaces or
  dashes): the first 3 and the last 4 digits stay, "138****5678"; a "+86 "
  prefix stays as written;
- e-mail addresses: the first character of the name and the whole domain stay,
  "a***@example.com".

Full-width digits and letters are recognised as ASCII ones. Masking a masked
text changes nothing.
"""
from __future__ import annotations

import re
from typing import Callable

from bot.privacy.widths import fold_width

#: A contact value that is neither a mobile number nor an e-mail address shows as this.
HIDDEN = "***"

_MOBILE = re.compile(r"(?<![0-9])(?P<prefix>(?:\+|00)?86[ -]?)?(?P<number>1[3-9][0-9](?:[ -]?[0-9]{4}){2})(?![0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])(?P<name>[A-Za-z0-9._%+-]+)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _masked_mobile(match: re.Match) -> str:
    digits = re.sub(r"[^0-9]", "", match.group("number"))
    return f"{match.group('prefix') or ''}{digits[:3]}****{digits[-4:]}"


def _masked_email(match: re.Match) -> str | None:
    """None when the domain has no real top-level domain (letters only, 2 or more)."""
    top = match.group("domain").rsplit(".", 1)[-1]
    if len(top) < 2 or not top.isalpha():
        return None
    return f"{match.group('name')[0]}***@{match.group('domain')}"


def _substitute(text: str, pattern: re.Pattern, render: Callable[[re.Match], str | None]) -> str:
    """`text` with each match of `pattern` (found in its full-width-folded form) replaced by `render(match)`."""
    pieces, last = [], 0
    for match in pattern.finditer(fold_width(text)):
        masked = render(match)
        if masked is not None:
            pieces += [text[last:match.start()], masked]
            last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def mask_contacts(text: str) -> str:
    """`text` with every mobile number and e-mail address in it masked."""
    if not text:
        return text
    return _substitute(_substitute(text, _MOBILE, _masked_mobile), _EMAIL, _masked_email)


def mask_contact(value: str | None) -> str | None:
    """One contact value (a ticket's phone or e-mail) masked; anything else shows as `HIDDEN`."""
    if not value:
        return value
    folded = fold_width(value.strip())
    mobile = _MOBILE.fullmatch(folded)
    if mobile:
        return _masked_mobile(mobile)
    email = _EMAIL.fullmatch(folded)
    return (_masked_email(email) if email else None) or HIDDEN
