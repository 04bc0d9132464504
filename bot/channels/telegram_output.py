"""Sending to Telegram: Rasa's `TelegramOutput`, aimed at `OKPAY_TELEGRAM_API_URL`, with our rules.

- Plain text only (no parse_mode: a "*" or "_" in a response must not break it).
- Buttons as an inline keyboard, one per row: Chinese titles are too long to
  share a row. callback_data is the payload; Telegram refuses more than 64
  bytes, so a longer one falls back to the title (logged).
- An agent's message carries the agent's name.
- Telegram's refusals: a user who blocked the bot or deleted the account is
  noted on their ticket, so the agent knows to reach them another way; a 429
  waits what Telegram asks (a few seconds at most) and tries once more; every
  failure is raised, so the caller learns the message did not arrive.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, List, Sequence

from aiogram import Bot
from aiogram.bot import api
from aiogram.bot.api import TelegramAPIServer
from aiogram.utils.exceptions import BotBlocked, RetryAfter, TelegramAPIError, UserDeactivated
from rasa.core.channels.telegram import TelegramOutput

from bot.channels.common import (
    Button,
    channel_user,
    describe_error,
    with_agent_name,
)
from bot.channels.undelivered import Undeliverable

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
#: Longest wait for a 429's retry_after before the one retry.
MAX_RETRY_WAIT_S = 3.0
#: Telegram allows 4096 UTF-16 units per message; emoji count twice.
MAX_TEXT_CHARS = 4000
MAX_CALLBACK_BYTES = 64
REQUEST_TIMEOUT_S = 15
#: An empty inline keyboard: editMessageReplyMarkup with it removes the buttons.
NO_KEYBOARD: Dict[str, Any] = {"inline_keyboard": []}


def _cut_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def inline_keyboard(buttons: Sequence[Button]) -> Dict[str, Any]:
    """Rasa buttons as an inline keyboard, one button per row."""
    rows: List[List[Dict[str, str]]] = []
    for button in buttons:
        payload = str(button.get("payload") or "")
        title = str(button.get("title") or payload)
        if button.get("type") == "web_url":
            rows.append([{"text": title, "url": payload}])
            continue
        if not payload or len(payload.encode("utf-8")) > MAX_CALLBACK_BYTES:
            logger.warning("telegram: button %r has a payload Telegram refuses (over %d bytes); sending its title instead",
                           title, MAX_CALLBACK_BYTES)
            payload = _cut_bytes(title, MAX_CALLBACK_BYTES)
        rows.append([{"text": title, "callback_data": payload}])
    return {"inline_keyboard": rows}


def text_parts(text: str) -> List[str]:
    """`text` in pieces Telegram accepts (most are one piece)."""
    return [text[start:start + MAX_TEXT_CHARS] for start in range(0, len(text), MAX_TEXT_CHARS)] or [text]


class OkTelegramOutput(TelegramOutput):
    """Rasa's Telegram output channel, talking to `api_url` (see the module's docstring)."""

    def __init__(self, token: str, api_url: str) -> None:
        # TelegramOutput.__init__ takes only the token; the Bot under it takes the API base.
        Bot.__init__(self, token, server=TelegramAPIServer.from_base(api_url), timeout=REQUEST_TIMEOUT_S)

    async def request(self, method: str, data: Dict[str, Any] | None = None, files: Dict[str, Any] | None = None,
                      **kwargs: Any) -> Any:
        """Every Bot API call; after a 429 it waits and tries once more."""
        try:
            return await super().request(method, data, files, **kwargs)
        except RetryAfter as error:
            wait = min(max(float(error.timeout), 0.0), MAX_RETRY_WAIT_S)
            logger.warning("telegram: %s was rate-limited (retry after %ss); trying again in %.1fs",
                           method, error.timeout, wait)
            await asyncio.sleep(wait)
            return await super().request(method, data, files, **kwargs)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """Sends one bot or agent message to the chat of conversation `recipient_id` (`telegram:<chat id>`)."""
        chat_id = channel_user(recipient_id, CHANNEL)
        message = dict(message)
        if message.get("text"):
            message["text"] = with_agent_name(message["text"], message)
        try:
            await super().send_response(chat_id, message)
        except (BotBlocked, UserDeactivated) as error:
            logger.warning("telegram: chat %s cannot be reached (%s)", chat_id, describe_error(error))
            raise Undeliverable(CHANNEL, "blocked", f"Telegram refused chat {chat_id}: {describe_error(error)}") \
                from error
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.error("telegram: could not send to chat %s: %s", chat_id, describe_error(error))
            raise

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in text_parts(text):
            await self.send_message(recipient_id, part)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Button], **kwargs: Any) -> None:
        *before, last = text_parts(text)
        for part in before:
            await self.send_message(recipient_id, part)
        await self.send_message(recipient_id, last, reply_markup=inline_keyboard(buttons))

    async def settle_callback(self, callback_id: str, chat_id: int | None, message_id: int | None) -> None:
        """Stops the tapped button's spinner and removes the keyboard, so an old button cannot be pressed twice.

        Neither is worth failing the user's message for: errors are logged.
        """
        try:
            await self.answer_callback_query(callback_id)
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.warning("telegram: could not answer callback query %s: %s", callback_id, describe_error(error))
        if chat_id is None or message_id is None:
            return
        try:
            await self.edit_message_reply_markup(chat_id, message_id, reply_markup=NO_KEYBOARD)
        except (TelegramAPIError, asyncio.TimeoutError) as error:
            logger.warning("telegram: could not remove the keyboard of message %s in chat %s: %s",
                           message_id, chat_id, describe_error(error))

    async def register_webhook(self, url: str, secret_token: str) -> Any:
        """setWebhook with the secret token (aiogram 2.15 predates that parameter)."""
        payload = {"url": url, "secret_token": secret_token, "allowed_updates": json.dumps(ALLOWED_UPDATES)}
        return await self.request(api.Methods.SET_WEBHOOK, payload)

    async def close_session(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
