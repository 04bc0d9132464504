"""The Telegram channel: Rasa's connector, made safe.

Rasa's `TelegramInput` trusts every POST, calls getMe on each update, sets
the webhook from `get_output_channel()` with `asyncio.run` (which fails inside
Rasa's running loop, so an agent's later reply could not be sent) and, in
debug mode, re-raises the bot's errors (Telegram then retries the update
forever). This one:

- accepts an update only with `X-Telegram-Bot-Api-Secret-Token` equal to
  OKPAY_TELEGRAM_SECRET_TOKEN (403 otherwise);
- answers 400/413 to bodies that are not Updates, 200 to everything else,
  even when the bot fails, and handles a redelivered `update_id` once;
- leaves the webhook alone: `python -m bot.channels.telegram set-webhook`
  registers it.

Updates: text (a bare number picks the pending button, `/start` greets), button
taps (answered, their keyboard removed), media (`UNSUPPORTED_MESSAGE` with its
kind); edited messages and other updates are ignored. Sending is in
`telegram_output`, reading updates in `telegram_updates`.
"""
from __future__ import annotations

import argparse
import hmac
import json
import logging
import sys
from typing import Any, Awaitable, Callable, Dict, List

from aiogram.utils.exceptions import ValidationError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    UNSUPPORTED_MESSAGE,
    ChannelLimits,
    channel_messages,
    conversation_id,
    describe_error,
    disabled_blueprint,
    guarded_turns,
    missing_settings,
    typed_choice,
    user_text,
)
from bot.channels.deliveries import DeliveryLedger, State, delivery_metadata
from bot.channels.telegram_output import CHANNEL, OkTelegramOutput
from bot.channels.telegram_setup import set_webhook
from bot.channels.telegram_updates import CALLBACK, IGNORED, TEXT, UNSUPPORTED, Incoming, parse_update
from bot.observability import metrics
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: What Telegram's /start (the first tap on "Start") means to the bot.
GREET = "/greet"
OK = {"ok": True}


def _command(text: str) -> str:
    """The command `text` starts with: /start for "/start@okpay_bot" or "/start campaign" (deep link); "" if none."""
    return text.split()[0].split("@")[0] if text.startswith("/") else ""


class TelegramChannel(TelegramInput):
    """Telegram webhook at /webhooks/telegram/webhook (see the module's docstring)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> TelegramChannel:
        """credentials.yml's values are ignored: the secrets come from the environment."""
        return cls()

    def __init__(self, settings: Settings | None = None, deliveries: DeliveryLedger | None = None) -> None:
        self.settings = settings or get_settings()
        super().__init__(self.settings.telegram_token, None, self.settings.telegram_webhook_url, debug_mode=False)
        self.limits = ChannelLimits(self.settings)
        self.deliveries = deliveries or DeliveryLedger(self.settings.redis_url,
                                                       processing_ttl_s=self.settings.delivery_processing_s)
        self._output: OkTelegramOutput | None = None

    def get_output_channel(self) -> OkTelegramOutput | None:
        """The channel for messages sent later (an agent's reply); it does not touch the webhook.

        None (Rasa then collects the messages instead) when the token is missing or malformed.
        """
        if self._output is None and self.settings.telegram_token:
            try:
                self._output = OkTelegramOutput(self.settings.telegram_token, self.settings.telegram_api_url)
            except ValidationError:
                logger.error("OKPAY_TELEGRAM_TOKEN is not a bot token (expected <bot id>:<secret>)")
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        missing = missing_settings({"telegram_token": self.settings.telegram_token,
                                    "telegram_secret_token": self.settings.telegram_secret_token})
        output = None if missing else self.get_output_channel()
        if output is None:
            return disabled_blueprint(CHANNEL, missing or ["OKPAY_TELEGRAM_TOKEN"])
        blueprint = Blueprint("telegram_webhook")
        on_new_message = guarded_turns(on_new_message, blueprint)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            return await self.handle_webhook(request, output, on_new_message)

        @blueprint.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await output.close_session()
            await self.deliveries.close()
            await self.limits.close()

        return blueprint

    async def handle_webhook(self, request: Request, output: OkTelegramOutput,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """One POSTed update. Always 200 once it is authentic and well-formed, so Telegram does not retry it."""
        if not self._authentic(request):
            logger.warning("telegram: update refused: wrong or missing %s (from %s)", SECRET_HEADER, request.ip)
            metrics.rejected(CHANNEL, metrics.BAD_SIGNATURE)
            return response.json({"error": "forbidden"}, status=403)
        body = request.body or b""
        if len(body) > self.settings.max_webhook_bytes:
            metrics.rejected(CHANNEL, metrics.TOO_LARGE)
            return response.json({"error": "too_large"}, status=413)
        try:
            update = parse_update(json.loads(body))
        except (ValueError, RecursionError) as error:  # bad JSON, bad encoding, not an Update
            logger.warning("telegram: bad update refused: %s", error)
            metrics.rejected(CHANNEL, metrics.BAD_PAYLOAD)
            return response.json({"error": "bad_request"}, status=400)
        if update.kind == IGNORED:
            return response.json(OK)
        key = f"{CHANNEL}:{output.id}:{update.update_id}"
        delivery = await self.deliveries.claim(key)
        if delivery.state is State.DONE:
            logger.info("telegram: update %s delivered again; handled already", update.update_id)
            return response.json(OK)
        if delivery.state is State.IN_PROGRESS:
            # Telegram delivers it again later: by then it is done, or the process handling it died.
            logger.info("telegram: update %s is being handled by another process", update.update_id)
            return response.json({"error": "in_progress"}, status=503)
        if update.kind == CALLBACK:
            await output.settle_callback(update.callback_id or "", update.chat_id, update.message_id)
        message = await self._user_message(request, update, output, delivery_metadata(key, delivery))
        if message is not None and not await self.limits.message_allowed(message.sender_id):
            logger.warning("telegram: %s sends faster than the rate limit; not handed to the bot", message.sender_id)
            metrics.rejected(CHANNEL, metrics.RATE_LIMITED)
            await self.deliveries.finish(key)
            await self._tell_slow_down(output, message.sender_id)
            return response.json(OK)
        if message is not None:
            async with self.deliveries.processing(key):
                try:
                    await on_new_message(message)
                except Exception:  # noqa: BLE001 - answered 200 anyway, or Telegram redelivers it forever
                    logger.exception("telegram: the bot failed on update %s of %s", update.update_id,
                                     message.sender_id)
        # Marked done only now, after the turn is stored: a process that dies mid-turn loses nothing.
        await self.deliveries.finish(key)
        return response.json(OK)

    async def _tell_slow_down(self, output: OkTelegramOutput, conversation: str) -> None:
        """Says "slow down" once a minute at most (a flood must not become a flood of our messages)."""
        if await self.limits.tell_slow_down(conversation):
            try:
                await output.send_text_message(conversation, channel_messages()["rate_limited"])
            except Exception as error:  # noqa: BLE001 - the user is told next time
                logger.warning("telegram: could not say slow down to %s: %s", conversation, describe_error(error))

    def _authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(given.encode("utf-8"), self.settings.telegram_secret_token.encode("utf-8"))

    async def _user_message(self, request: Request, update: Incoming, output: OkTelegramOutput,
                            metadata: Dict[str, Any]) -> UserMessage | None:
        conversation = conversation_id(CHANNEL, str(update.chat_id))
        if update.kind == UNSUPPORTED:
            text, metadata = UNSUPPORTED_MESSAGE, {**metadata, "message_kind": update.message_kind}
        else:
            text = user_text(update.text, self.settings.max_message_chars)
            if update.kind == TEXT:
                text = await self._typed(request, conversation, text)
        if not text:
            return None
        return UserMessage(text, output, conversation, input_channel=CHANNEL, metadata=metadata)

    async def _typed(self, request: Request, conversation: str, text: str) -> str:
        """What a typed text means: /start greets; a bare number picks the pending button (for users who type)."""
        if _command(text) == "/start":
            return GREET
        return await typed_choice(request.app, conversation, text, CHANNEL)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram", description="The Telegram channel.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("set-webhook", help="register OKPAY_TELEGRAM_WEBHOOK_URL and the secret token with Telegram")
    parser.parse_args(argv)
    return set_webhook(get_settings())


if __name__ == "__main__":
    from bot.logs.setup import configure_logging

    configure_logging("telegram", sys.stderr)  # stdout is the command's own output (docs/logging.md)
    sys.exit(main())
