"""Rasa's REST and callback channels, with the caller kept in its place.

What changes from Rasa's `RestInput` and `CallbackInput`:

- The body is checked first: a JSON object whose `sender` is a user id
  (`bot.channels.common.USER_ID`) and whose `message` is a string (`metadata`
  an object when given), all text valid UTF-8. Anything else is 400, where
  Rasa answered 500 (found by tests/fuzz).
- The conversation is `rest:<sender>` or `callback:<sender>`: the channel sets
  the prefix, so a body cannot name `widget:u:<someone>` or `wechat:<openid>`
  and read or write that user's conversation. The body's `input_channel` is
  ignored for the same reason (Rasa let it pick the channel an agent's reply
  goes out through).
- The text is cut to `OKPAY_MAX_MESSAGE_CHARS` like every channel's, and a
  typed `/EXTERNAL_…` intent is read as words (only the console sends those).
- A failing or cancelled turn is logged without the user's text (Rasa logs it
  in clear) and answered with what was collected so far.
- The callback channel does not answer 500 when its callback URL cannot be
  reached: the turn is stored, the webhook answers 502 `callback_unreachable`,
  and the integrator's own sender id comes back as `recipient_id`.

These channels are for trusted callers (the terminal chat, an integrator's
backend): the production load balancer does not expose them publicly
(`bot.deploy.nginx`). credentials.yml names them instead of `rest:` and
`callback:`; the webhooks stay at /webhooks/rest/webhook and
/webhooks/callback/webhook.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict

import aiohttp
from rasa.core.channels import callback, rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    ChannelLimits,
    channel_messages,
    conversation_id,
    guarded_turns,
    user_text,
    valid_user_id,
)
from bot.observability import metrics
from bot.settings import get_settings

logger = logging.getLogger(__name__)
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

#: The load balancer's id of a request (bot/deploy/nginx.py), the same when it re-sends the request to
#: another replica; kept in the message's metadata under REQUEST_ID (bot/runtime/message_guard.py).
REQUEST_ID_HEADER = "X-Request-Id"


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
    if not valid_user_id(body.get("sender")):
        raise InvalidUsage("sender must be 1-128 characters of A-Z a-z 0-9 _ . @ + = : -")
    if not _text(body.get("message")):
        raise InvalidUsage("message must be a string")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise InvalidUsage("metadata must be an object")
    return body


class _TrustedCallerChannel:
    """What the REST and callback channels share: the checked body, the channel's own prefix, the request id."""

    async def _extract_sender(self, req: Request) -> str:
        return conversation_id(self.name(), checked_body(req)["sender"])  # type: ignore[attr-defined]

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # type: ignore[attr-defined]

    def get_metadata(self, request: Request) -> Dict[str, Any] | None:
        """The body's metadata, with the balancer's request id when there is one."""
        from bot.runtime.message_guard import REQUEST_ID

        metadata = request.json.get("metadata")
        request_id = request.headers.get(REQUEST_ID_HEADER)
        if not request_id:
            return metadata
        return {**(metadata or {}), REQUEST_ID: request_id[:64]}

    def limits(self) -> ChannelLimits:
        if getattr(self, "_limits", None) is None:
            self._limits = ChannelLimits(get_settings())
        return self._limits

    async def _limited(self, message: UserMessage) -> HTTPResponse | None:
        """429 when the conversation sends more than the rate limit allows (nothing reaches the bot)."""
        if await self.limits().message_allowed(message.sender_id):
            return None
        return response.json({"error": "rate_limited", "message": channel_messages()["rate_limited"]}, status=429,
                             headers={"Retry-After": "60"})

    def _webhooks(self, name: str, on_new_message: OnNewMessage, collector: Callable[[], Any],
                  answer: Callable[[Any], HTTPResponse]) -> Blueprint:
        """GET / (health) and POST /webhook: checked, rate-limited, one turn, then `answer(collector)`."""
        webhook = Blueprint(name, __name__)
        on_new_message = guarded_turns(on_new_message, webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            collected = collector()
            try:
                message = await self._message(request, collected)
            except InvalidUsage:
                metrics.rejected(self.name(), metrics.BAD_PAYLOAD)  # type: ignore[attr-defined]
                raise
            refused = await self._limited(message)
            if refused is not None:
                metrics.rejected(self.name(), metrics.RATE_LIMITED)  # type: ignore[attr-defined]
                return refused
            await _run_turn(on_new_message, message, self.name())  # type: ignore[attr-defined]
            return answer(collected)

        return webhook

    async def _message(self, request: Request, collector: CollectingOutputChannel) -> UserMessage:
        sender = await self._extract_sender(request)
        # Cut as every channel cuts (OKPAY_MAX_MESSAGE_CHARS): a huge body costs no more than a long message.
        text = user_text(request.json["message"], get_settings().max_message_chars)
        return UserMessage(text, collector, sender,
                           input_channel=self.name(), metadata=self.get_metadata(request))  # type: ignore[attr-defined]


def as_the_caller_knows_it(message: Dict[str, Any], channel: str) -> Dict[str, Any]:
    """`message` with the caller's own sender id as `recipient_id` (without the channel's prefix)."""
    recipient = str(message.get("recipient_id") or "")
    prefix = f"{channel}:"
    return {**message, "recipient_id": recipient[len(prefix):] if recipient.startswith(prefix) else recipient}


class RestCollector(CollectingOutputChannel):
    """Collects the turn's answers for the HTTP response, addressed to the caller's sender id."""

    async def _persist_message(self, message: Dict[str, Any]) -> None:
        await super()._persist_message(as_the_caller_knows_it(message, RestInput.name()))


def _callback_answer(collector: CallbackOutput) -> HTTPResponse:
    if collector.failed:
        return response.json({"error": "callback_unreachable", "stored": True,
                              "message": "the message was handled; its answers could not be posted "
                                         "to the callback URL"}, status=502)
    return response.text("success")


async def _run_turn(on_new_message: OnNewMessage, message: UserMessage, channel: str) -> None:
    """Runs one turn; a failure or a cancellation is logged without the user's text."""
    try:
        await on_new_message(message)
    except asyncio.CancelledError:
        logger.error("%s: the turn of %s was cancelled (timeout)", channel, message.sender_id)
    except Exception:  # noqa: BLE001 - answer with what was collected, as Rasa does
        logger.exception("%s: the turn of %s failed", channel, message.sender_id)


class RestInput(_TrustedCallerChannel, rest.RestInput):
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return self._webhooks("custom_webhook_RestInput", on_new_message, RestCollector,
                              lambda collector: response.json(collector.messages))


class CallbackOutput(CollectingOutputChannel):
    """Posts every message to the callback URL; an unreachable URL is counted, not raised."""

    @classmethod
    def name(cls) -> str:
        return "callback"

    def __init__(self, endpoint: EndpointConfig) -> None:
        super().__init__()
        self.callback_endpoint = endpoint
        self.failed = 0

    async def _persist_message(self, message: Dict[str, Any]) -> None:
        # The integrator knows its user by the sender it sent, not by our conversation id.
        message = as_the_caller_knows_it(message, self.name())
        await super()._persist_message(message)
        try:
            await self.callback_endpoint.request("post", content_type="application/json", json=message)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            self.failed += 1
            logger.error("callback: could not deliver a message for %s: %s", message["recipient_id"],
                         type(error).__name__)


class CallbackInput(_TrustedCallerChannel, callback.CallbackInput):
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return self._webhooks("callback_webhook", on_new_message, self.get_output_channel, _callback_answer)

    def get_output_channel(self) -> CallbackOutput:
        return CallbackOutput(self.callback_endpoint)
