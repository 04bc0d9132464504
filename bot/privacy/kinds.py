"""The kinds of secrets `redact` finds, and the span a detector reports for one."""
from __future__ import annotations

from typing import Tuple

BANK_CARD = "bank_card"
ID_NUMBER = "id_number"
PASSWORD = "password"
VERIFICATION_CODE = "verification_code"
CARD_SECURITY_CODE = "card_security_code"
CARD_EXPIRY = "card_expiry"
KINDS = (BANK_CARD, ID_NUMBER, PASSWORD, VERIFICATION_CODE, CARD_SECURITY_CODE, CARD_EXPIRY)

#: (start, end, kind): where a secret is in the text, end excluded.
Span = Tuple[int, int, str]

#: Stands in for a secret already found, so the next detector does not see it (not a digit, not printable ASCII).
BLANK = "\x00"
