"""The console's browser-facing guards: the CSRF token, response headers, the client's address.

CSRF: a sign-in answers a `csrf_token` and sets it in the `okpay_csrf` cookie
(readable by the page's script, unlike the session cookie). It is derived from
the session token (HMAC-SHA256), so it is bound to that sign-in and nothing
more is stored. Every state-changing API call made with the session cookie
sends it back in `X-CSRF-Token`; another site can neither read the cookie nor
set the header. Clients using `Authorization: Bearer` are not browsers and
need no CSRF token.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import AbstractSet

from aiohttp import web

from bot.ratelimit import client_address

CSRF_COOKIE = "okpay_csrf"
CSRF_HEADER = "X-CSRF-Token"

#: No inline script or style anywhere: the pages load theirs from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def csrf_token(session_token: str) -> str:
    """The CSRF token of a sign-in: HMAC-SHA256 keyed with its session token."""
    return hmac.new(session_token.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_token), sent or "")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: every answer (pages, API, files, errors) gets the headers.

    A route that needs another policy (the widget's demo page connects to
    Rasa's socket) sets its own; it is kept.
    """
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def client_ip(request: web.Request, trusted_proxies: AbstractSet[str]) -> str:
    """The peer's address; behind a trusted proxy, the last X-Forwarded-For hop it did not add."""
    return client_address(request.remote or "", request.headers.get("X-Forwarded-For"), trusted_proxies)
