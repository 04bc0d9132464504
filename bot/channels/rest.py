"""Rasa's REST and callback channels, refusing bodies they cannot read with 400 instead of 500.

Rasa's `RestInput` reads `request.json.get("sender")`: a body that is JSON but
not an object (`[]`, `"hi"`, `42`, `null`) or an empty body raises
AttributeError, which Sanic answers with 500 (found by tests/fuzz). These
check the body first: a JSON object whose `sender` is a non-empty string and
whose `message` is a string (`input_channel` a string and `metadata` an
object when given), all text valid UTF-8 (a JSON "\\ud800" is not). The
routes, the answers and everything else are Rasa's.

credentials.yml: `bot.channels.rest.RestInput:` instead of `rest:` and
`bot.channels.rest.CallbackInput:` (same `url`) instead of `callback:`; the
webhooks stay at /webhooks/rest/webhook and /webhooks/callback/webhook.
"""
from __future__ import annotations

from typing import Any, Dict

from rasa.core.channels import callback, rest
from sanic.exceptions import InvalidUsage
from sanic.request import Request


def _text(value: Any) -> bool:
    """A string that is valid UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checked_body(request: Request) -> Dict[str, Any]:
    """The body as a dict; InvalidUsage (400) when it is not `{"sender": "...", "message": "..."}`."""
    body = request.json  # Sanic: InvalidUsage (400) for a body that is not JSON
    if not isinstance(body, dict):
        raise InvalidUsage('the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender = body.get("sender")
    if not _text(sender) or not sender.strip():
        raise InvalidUsage("sender must be a non-empty string")
    if not _text(body.get("message")):
        raise InvalidUsage("message must be a string")
    if body.get("input_channel") is not None and not _text(body["input_channel"]):
        raise InvalidUsage("input_channel must be a string")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise InvalidUsage("metadata must be an object")
    return body


#: The load balancer's id of a request (bot/deploy/nginx.py), the same when it re-sends the request to
#: another replica; kept in the message's metadata under REQUEST_ID (bot/runtime/message_guard.py).
REQUEST_ID_HEADER = "X-Request-Id"


class _CheckedBody:
    """Rasa reads the sender first: checking the body there refuses it before anything else runs."""

    async def _extract_sender(self, req: Request) -> str | None:
        return checked_body(req)["sender"]

    def get_metadata(self, request: Request) -> Dict[str, Any] | None:
        """The body's metadata, with the balancer's request id when there is one."""
        from bot.runtime.message_guard import REQUEST_ID

        metadata = super().get_metadata(request)  # type: ignore[misc]
        request_id = request.headers.get(REQUEST_ID_HEADER)
        if not request_id:
            return metadata
        return {**(metadata or {}), REQUEST_ID: request_id[:64]}


class RestInput(_CheckedBody, rest.RestInput):
    pass


class CallbackInput(_CheckedBody, callback.CallbackInput):
    pass
