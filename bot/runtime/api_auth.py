"""How our processes prove themselves to Rasa's HTTP API: a short-lived JWT in a header, never a URL token.

Rasa accepts either `?token=<secret>` or `Authorization: Bearer <JWT>`. The
query token ends up in every access log on the way (nginx logs the request
line) and, passed as `--auth-token`, in every replica's command line. So Rasa
is started with `--jwt-secret` only, added inside the process from
`OKPAY_RASA_TOKEN` (`jwt_arguments`), where `ps` and /proc cannot see it, and
callers sign a token that lives a few minutes (`api_headers`). A token made
for the API carries Rasa's "admin" role: it may read and write any
conversation, which is what the console needs.
"""
from __future__ import annotations

import time
from typing import Dict, List, Sequence

import jwt

JWT_METHOD = "HS256"
#: Seconds a signed API token is valid; callers make a new one well before.
TOKEN_LIFETIME_S = 300
_ISSUER = "okpay"


def api_token(secret: str, username: str = "okpay-console", lifetime_s: int = TOKEN_LIFETIME_S) -> str:
    """A JWT that Rasa's API accepts as an admin for `lifetime_s` seconds."""
    if not secret:
        raise ValueError("no Rasa API secret (OKPAY_RASA_TOKEN)")
    now = int(time.time())
    claims = {"user": {"username": username, "role": "admin"}, "iss": _ISSUER, "iat": now, "exp": now + lifetime_s}
    return jwt.encode(claims, secret, algorithm=JWT_METHOD)


def api_headers(secret: str) -> Dict[str, str]:
    """The header to send with a request to Rasa's API."""
    return {"Authorization": f"Bearer {api_token(secret)}"}


class TokenCache:
    """One signed token, renewed when it has less than a minute left (signing costs little, but not nothing)."""

    def __init__(self, secret: str, lifetime_s: int = TOKEN_LIFETIME_S) -> None:
        self.secret, self.lifetime_s = secret, lifetime_s
        self._token, self._expires = "", 0.0

    def headers(self) -> Dict[str, str]:
        now = time.time()
        if now > self._expires - 60:
            self._token, self._expires = api_token(self.secret, lifetime_s=self.lifetime_s), now + self.lifetime_s
        return {"Authorization": f"Bearer {self._token}"}


def is_admin_token(authorization: str | None, secret: str) -> bool:
    """Whether an `Authorization` header carries a valid, unexpired API token with the admin role (as Rasa's
    API checks it), for routes of our own that answer only our services."""
    if not secret or not authorization or not authorization.startswith("Bearer "):
        return False
    try:
        claims = jwt.decode(authorization[len("Bearer "):], secret, algorithms=[JWT_METHOD])
    except jwt.PyJWTError:
        return False
    user = claims.get("user")
    return isinstance(user, dict) and user.get("role") == "admin"


def jwt_arguments(argv: Sequence[str], secret: str) -> List[str]:
    """`argv` of `rasa run …` with the JWT secret added, unless the caller gave one or no secret is set."""
    arguments = list(argv)
    if not secret or not arguments or arguments[0] != "run" or any(a.startswith("--jwt-secret") for a in arguments):
        return arguments
    # One argument: a secret may start with "-", which argparse would take for an option.
    return [*arguments, f"--jwt-secret={secret}", f"--jwt-method={JWT_METHOD}"]
