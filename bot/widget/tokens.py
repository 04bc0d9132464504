"""Who is talking in the widget, from a signed token (JWT).

The host app signs a token whose `sub` is its user id; the conversation id is
derived from it on the server (`widget:u:<sub>`), never chosen by the client.
A host token must name our audience (`aud`, default "okpay-widget") and
expire (`exp`) within `max_lifetime_s` (a day by default): a stolen token is
worth little for long, and a token the host app made for another service is
not taken here. The subject is a user id as every channel allows it
(`bot.channels.common.USER_ID`).

A visitor without a token gets an anonymous conversation (`widget:a:<random>`)
and a token of our own for it, so a page reload finds the same conversation.
Anonymous tokens are signed with a key of their own, derived from the host
secret (`anonymous_key`): the host app never accepts one of ours as its own
(its key differs), and a host token can never name an anonymous
conversation, nor an anonymous token a signed-in user's.
"""
from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict

import jwt

from bot.channels.common import valid_user_id

ANONYMOUS_CLAIM = "okpay_anon"
ALGORITHMS = ("HS256", "HS384", "HS512")
#: The audience a host app's token must name, and the one of our anonymous tokens.
AUDIENCE = "okpay-widget"
ANONYMOUS_AUDIENCE = "okpay-widget-anonymous"
#: Shortest secret accepted: an HMAC key of fewer than 32 characters can be guessed offline from one token.
MIN_SECRET_CHARS = 32
DEFAULT_MAX_LIFETIME_S = 24 * 3600
#: Clock difference tolerated between the host app and us.
LEEWAY_S = 30


class InvalidToken(ValueError):
    """The token is malformed, badly signed, expired, lives too long or names nobody."""


@dataclass(frozen=True)
class WidgetIdentity:
    conversation_id: str
    anonymous: bool


def anonymous_key(secret: str) -> str:
    """The key of our anonymous tokens: derived from the host secret, never equal to it."""
    return hmac.new(secret.encode("utf-8"), b"okpay-widget-anonymous-v1", hashlib.sha256).hexdigest()


def secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign widget tokens, or None."""
    if len(secret) < MIN_SECRET_CHARS:
        return f"OKPAY_WIDGET_JWT_SECRET must be at least {MIN_SECRET_CHARS} characters"
    return None


def _subject(claims: Dict[str, Any]) -> str:
    subject = claims.get("sub")
    if not valid_user_id(subject):
        raise InvalidToken("the token's subject is not a user id (1-128 of A-Z a-z 0-9 _ . @ + = : -)")
    return subject


def _decode(token: str, key: str, algorithm: str, audience: str) -> Dict[str, Any]:
    try:
        return jwt.decode(token, key, algorithms=[algorithm], audience=audience, leeway=LEEWAY_S,
                          options={"require": ["sub", "exp", "aud"]})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error


def identity_from_token(
    token: str, secret: str, algorithm: str = "HS256", audience: str = AUDIENCE,
    max_lifetime_s: int = DEFAULT_MAX_LIFETIME_S,
) -> WidgetIdentity:
    """The identity a token proves (a host app's user, or one of our anonymous visitors); raises InvalidToken."""
    if algorithm not in ALGORITHMS:
        raise InvalidToken(f"unsupported algorithm {algorithm}")
    if secret_problem(secret):
        raise InvalidToken("the widget's secret is too short to check tokens with")
    try:
        claims = _decode(token, secret, algorithm, audience)
    except InvalidToken as host_error:
        try:
            claims = _decode(token, anonymous_key(secret), algorithm, ANONYMOUS_AUDIENCE)
        except InvalidToken:
            raise host_error from None
        if claims.get(ANONYMOUS_CLAIM) is not True:
            raise InvalidToken("not an anonymous token") from None
        return WidgetIdentity(f"widget:a:{_subject(claims)}", anonymous=True)
    if ANONYMOUS_CLAIM in claims:
        raise InvalidToken("a host app's token cannot name an anonymous visitor")
    if claims["exp"] - time.time() > max_lifetime_s + LEEWAY_S:
        raise InvalidToken(f"the token lives longer than {max_lifetime_s} s")
    return WidgetIdentity(f"widget:u:{_subject(claims)}", anonymous=False)


def anonymous_token(secret: str, algorithm: str, days: int) -> tuple[str, WidgetIdentity]:
    """A new anonymous visitor: the token to keep in the browser and its identity."""
    now = int(time.time())
    claims = {"sub": uuid.uuid4().hex, ANONYMOUS_CLAIM: True, "aud": ANONYMOUS_AUDIENCE, "iat": now,
              "exp": now + days * 86400}
    token = jwt.encode(claims, anonymous_key(secret), algorithm=algorithm)
    return token, WidgetIdentity(f"widget:a:{claims['sub']}", anonymous=True)


def user_token(secret: str, algorithm: str, subject: str, minutes: int = 60, audience: str = AUDIENCE) -> str:
    """A token as the host app signs it (for the demo page, tests and benchmarks)."""
    now = int(time.time())
    return jwt.encode({"sub": subject, "aud": audience, "iat": now, "exp": now + minutes * 60}, secret,
                      algorithm=algorithm)
