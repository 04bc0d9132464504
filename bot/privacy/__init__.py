"""Personal data in users' messages: secrets hidden before anything stores them, contacts masked for display.

- `redact(text)` replaces passwords, verification codes, bank card numbers,
  card security codes and expiry dates, and resident ID numbers with a marker
  (`bot.privacy.redaction`, one module per kind); Rasa applies it to every
  incoming message, and `redact_values` to every string of its metadata
  (`bot.rasa_patches`); `redact_with_entities` keeps NLU entities on their
  words (the review queue, `bot.insights.review_queue`).
- `mask_contacts(text)` / `mask_contact(value)` shorten phone numbers and
  e-mail addresses for agents who do not handle the conversation
  (`bot.privacy.contacts`).
"""
from bot.privacy.contacts import mask_contact, mask_contacts
from bot.privacy.entities import redact_with_entities
from bot.privacy.redaction import (
    BANK_CARD,
    CARD_EXPIRY,
    CARD_SECURITY_CODE,
    ID_NUMBER,
    KINDS,
    MASK,
    PASSWORD,
    SECRET_WARNING_RESPONSE,
    VERIFICATION_CODE,
    Redaction,
    redact,
)
from bot.privacy.values import redact_values

__all__ = [
    "BANK_CARD", "CARD_EXPIRY", "CARD_SECURITY_CODE", "ID_NUMBER", "KINDS", "MASK", "PASSWORD",
    "SECRET_WARNING_RESPONSE", "VERIFICATION_CODE", "Redaction", "mask_contact", "mask_contacts", "redact",
    "redact_values", "redact_with_entities",
]
