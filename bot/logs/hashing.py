"""The conversation id in logs: a keyed hash, the same in every process of one install.

A plain hash of a WeChat openid or a Telegram chat id can be reversed by
hashing every candidate id; a keyed one (HMAC-SHA256) cannot, without the
key. The key is `OKPAY_LOG_HASH_KEY`; left empty, a random key kept in
`var/log_hash_key` beside the conversation store (readable by its owner
only), made by the first process that needs it, so all processes of one
machine agree. Processes on several machines (containers, Kubernetes) must
share one key through the setting, or their hashes differ.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from functools import lru_cache
from pathlib import Path

from bot.secret_files import kept_secret
from bot.settings import get_settings

#: Hex characters kept: 64 bits, plenty to tell conversations apart in logs.
HASH_CHARS = 16
KEY_FILE = "log_hash_key"

logger = logging.getLogger(__name__)


def key_file() -> Path:
    settings = get_settings()
    return settings.resolve(settings.tracker_db).parent / KEY_FILE


@lru_cache(maxsize=1)
def hash_key() -> bytes:
    """The key of the hash: the setting, else the install's kept key, else (var/ not writable) one per process."""
    configured = get_settings().log_hash_key
    if configured:
        return configured.encode("utf-8")
    try:
        return kept_secret(key_file()).encode("utf-8")
    except OSError as error:
        logger.warning("no OKPAY_LOG_HASH_KEY and %s cannot be kept (%s): conversation hashes in this "
                       "process's logs match no other process's", key_file(), type(error).__name__)
        return secrets.token_bytes(32)


def reset_hash_key() -> None:
    """For tests: read the key again after changing the settings."""
    hash_key.cache_clear()


def conversation_hash(conversation_id: str) -> str:
    """The conversation's id as logs show it: 16 hex characters, stable for one key."""
    return hmac.new(hash_key(), conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]


def main(argv: list | None = None) -> int:
    """`python -m bot.logs.hashing <conversation id>…`: the hash each id has in this install's logs."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bot.logs.hashing", description=main.__doc__)
    parser.add_argument("conversation", nargs="+", help="a conversation id such as wechat:<openid> or rest:<sender>")
    for conversation in parser.parse_args(argv).conversation:
        print(conversation_hash(conversation))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
