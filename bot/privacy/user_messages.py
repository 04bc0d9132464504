"""Hiding the secrets of an incoming `UserMessage`, whatever its channel.

Our channels do it before Rasa sees the message (`bot.channels.common.guarded_turns`), and the Rasa
process does it again as the first step of a turn (`bot.rasa_patches`), so Rasa's own channels (`rasa shell`'s)
are covered too. Hiding twice changes nothing.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from bot.privacy.redaction import redact
from bot.privacy.values import redact_values

logger = logging.getLogger(__name__)

#: Where a message's metadata lists the kinds of secrets hidden from it ("bank_card", …).
REDACTED_KEY = "okpay_redacted"
#: Metadata keys our channels set, never text a user typed (bot.runtime.message_guard, bot.channels).
CHANNEL_SET_KEYS = ("request_id", "redelivery", "message_kind", REDACTED_KEY)
#: "/affirm", "/EXTERNAL_unsupported_message", "/faq/fees@0.9": a button or a channel speaks, not the user.
_INTENT_COMMAND = re.compile(r"/[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)?(?:@[0-9.]+)?")


def redact_user_message(message: Any) -> None:
    """Hides the secrets in an incoming `UserMessage`'s text (and parse data) and metadata, listing their kinds there.

    The metadata becomes a new dict: the caller's is not changed. Intent commands and empty texts keep their text;
    their metadata is redacted all the same.
    """
    kinds: list = []
    text = message.text
    if isinstance(text, str) and not _INTENT_COMMAND.fullmatch(text):
        redaction = redact(text)
        if redaction.found:
            kinds += redaction.kinds
            message.text = redaction.text
            if isinstance(message.parse_data, dict) and "text" in message.parse_data:
                message.parse_data = {**message.parse_data, "text": redaction.text}
    metadata, metadata_kinds = message.metadata, ()
    if isinstance(metadata, dict):
        # Ids our channels set (a request id may be digits that pass the Luhn check) stay as they are:
        # masked, two messages' ids would become the same and one could be taken for the other.
        kept = {key: metadata[key] for key in CHANNEL_SET_KEYS if key in metadata}
        redacted, metadata_kinds = redact_values({k: v for k, v in metadata.items() if k not in kept})
        metadata = {**redacted, **kept} if metadata_kinds else metadata
    kinds = list(dict.fromkeys([*kinds, *metadata_kinds]))
    if not kinds:
        return
    message.metadata = {**(metadata or {}), REDACTED_KEY: kinds}
    logger.info("privacy: hid %s in a message of %s", ", ".join(kinds), message.sender_id)


def secrets_hidden(message: Any) -> bool:
    """Whether secrets were hidden from `message` (its metadata lists their kinds)."""
    return bool((message.metadata or {}).get(REDACTED_KEY))
