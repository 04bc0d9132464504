"""Who is talking in the widget, from a signed token (JWT).

The host app signs a token whose `sub` is its user id; the conversation id is
derived from it on the server (`widget:u:<sub>`), never chosen by the client.
A visitor without a token gets an anonymous conversation (`widget:a:<random>`)
and a token of our own for it, so a page reload finds the same conversation.
Anonymous tokens carry the claim `okpay_anon`, so they can never name a
signed-in user's conversation.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict

import jwt

ANONYMOUS_CLAIM = "okpay_anon"
ALGORITHMS = ("HS256", "HS384", "HS512")
MAX_SUBJECT_CHARS = 128


class InvalidToken(ValueError):
    """The token is malformed, badly signed, expired or names nobody."""


@dataclass(frozen=True)
class WidgetIdentity:
    conversation_id: str
    anonymous: bool


def _identity(claims: Dict[str, Any]) -> WidgetIdentity:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidToken("the token has no usable subject")
    anonymous = claims.get(ANONYMOUS_CLAIM) is True
    return WidgetIdentity(f"widget:{'a' if anonymous else 'u'}:{subject}", anonymous)


def identity_from_token(token: str, secret: str, algorithm: str = "HS256") -> WidgetIdentity:
    """The identity a token proves; raises InvalidToken."""
    if algorithm not in ALGORITHMS:
        raise InvalidToken(f"unsupported algorithm {algorithm}")
    try:
        claims = jwt.decode(token, secret, algorithms=[algorithm], options={"require": ["sub"]})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return _identity(claims)


def anonymous_token(secret: str, algorithm: str, days: int) -> tuple[str, WidgetIdentity]:
    """A new anonymous visitor: the token to keep in the browser and its identity."""
    now = int(time.time())
    claims = {"sub": uuid.uuid4().hex, ANONYMOUS_CLAIM: True, "iat": now, "exp": now + days * 86400}
    return jwt.encode(claims, secret, algorithm=algorithm), _identity(claims)


def user_token(secret: str, algorithm: str, subject: str, minutes: int = 60) -> str:
    """A token as the host app would sign it (for the demo page and tests)."""
    now = int(time.time())
    return jwt.encode({"sub": subject, "iat": now, "exp": now + minutes * 60}, secret, algorithm=algorithm)
