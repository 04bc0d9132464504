"""Password hashing with Argon2 (argon2-cffi), the kept library for it."""
from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of a password nobody knows, made like the real ones: signing in with an unknown username verifies
    against it, so it costs what a known one does (no timing oracle for which usernames exist)."""
    return _hasher.hash(secrets.token_urlsafe(32))
