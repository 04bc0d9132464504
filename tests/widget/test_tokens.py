"""Widget tokens: what a host app's token must prove, and what our anonymous tokens can never do.

Attacks tried: a token without `exp` (valid forever once stolen), one that
lives for a year, one made for another service (`aud`), one signed with a
short guessable secret, an anonymous token of ours presented as a host token
(or the reverse), and a subject that would steer a URL.
"""
from __future__ import annotations

import time

import jwt
import pytest

from bot.widget.tokens import (
    ANONYMOUS_CLAIM,
    AUDIENCE,
    InvalidToken,
    anonymous_key,
    anonymous_token,
    identity_from_token,
    secret_problem,
    user_token,
)

SECRET = "widget-token-test-secret-0123456789ab"


def host_token(**claims) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}, SECRET,
                      algorithm="HS256")


def test_a_host_token_with_subject_audience_and_a_near_expiry_names_its_user():
    assert identity_from_token(host_token(), SECRET).conversation_id == "widget:u:alice"
    assert identity_from_token(user_token(SECRET, "HS256", "u-42@shop"), SECRET).conversation_id == "widget:u:u-42@shop"


@pytest.mark.parametrize("claims, why", [
    ({"exp": None}, "no expiry"),
    ({"aud": None}, "no audience"),
    ({"aud": "okpay-payments"}, "made for another service"),
    ({"exp": int(time.time()) + 365 * 86400}, "valid for a year"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"sub": "x/tracker/events?y="}, "a subject that is no user id"),
    ({"sub": ""}, "an empty subject"),
    ({ANONYMOUS_CLAIM: True}, "a host token that claims to be anonymous"),
])
def test_a_host_token_that_proves_too_little_is_refused(claims, why):
    claims = dict(claims)
    now = int(time.time())
    payload = {"sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}
    payload = {key: value for key, value in payload.items() if value is not None}
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        identity_from_token(token, SECRET)


def test_the_longest_lifetime_is_a_setting():
    token = user_token(SECRET, "HS256", "alice", minutes=120)
    assert identity_from_token(token, SECRET, max_lifetime_s=3 * 3600).conversation_id == "widget:u:alice"
    with pytest.raises(InvalidToken, match="longer"):
        identity_from_token(token, SECRET, max_lifetime_s=3600)


def test_anonymous_tokens_are_signed_with_a_key_of_their_own():
    token, identity = anonymous_token(SECRET, "HS256", days=30)
    assert identity_from_token(token, SECRET) == identity and identity.anonymous
    # The host app's key does not verify ours: the host never takes our token for one of its own …
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_aud": False})
    assert anonymous_key(SECRET) != SECRET
    # … and a host-signed token shaped like an anonymous one names nobody.
    forged = jwt.encode({"sub": "alice", ANONYMOUS_CLAIM: True, "aud": "okpay-widget-anonymous",
                         "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        identity_from_token(forged, SECRET)


def test_an_anonymous_key_token_without_the_anonymous_claim_is_refused():
    token = jwt.encode({"sub": "alice", "aud": "okpay-widget-anonymous", "exp": int(time.time()) + 600},
                       anonymous_key(SECRET), algorithm="HS256")
    with pytest.raises(InvalidToken):
        identity_from_token(token, SECRET)


@pytest.mark.parametrize("secret", ["", "secret", "x" * 31])
def test_a_short_secret_signs_nothing(secret):
    assert secret_problem(secret)
    with pytest.raises(InvalidToken):
        identity_from_token(user_token(secret or "k", "HS256", "alice"), secret)
    assert secret_problem("x" * 32) is None
