"""`python -m bot.channels.telegram set-webhook`: tells Telegram where to POST updates.

Done once per deployment (or when the URL or secret changes), never on
start-up: Rasa's connector did it from `get_output_channel()`, which broke
every later message.
"""
from __future__ import annotations

import asyncio
import re
import sys
from typing import Any

from aiogram.utils.exceptions import TelegramAPIError, ValidationError

from bot.channels.common import missing_settings
from bot.channels.telegram_output import ALLOWED_UPDATES, OkTelegramOutput
from bot.settings import Settings

#: What Telegram accepts as secret_token.
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


async def _register(settings: Settings) -> Any:
    output = OkTelegramOutput(settings.telegram_token, settings.telegram_api_url)
    try:
        return await output.register_webhook(settings.telegram_webhook_url, settings.telegram_secret_token)
    finally:
        await output.close_session()


def set_webhook(settings: Settings) -> int:
    """Calls setWebhook with the URL, the secret token and the updates we handle; the exit status."""
    missing = missing_settings({"telegram_token": settings.telegram_token,
                                "telegram_secret_token": settings.telegram_secret_token,
                                "telegram_webhook_url": settings.telegram_webhook_url})
    if missing:
        print(f"Cannot set the Telegram webhook: set {', '.join(missing)}.", file=sys.stderr)
        return 2
    if not SECRET_TOKEN.fullmatch(settings.telegram_secret_token):
        print("Cannot set the Telegram webhook: OKPAY_TELEGRAM_SECRET_TOKEN may only hold A-Z, a-z, 0-9, _ and -"
              " (1 to 256 characters).", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(_register(settings))
    except ValidationError:
        print("Cannot set the Telegram webhook: OKPAY_TELEGRAM_TOKEN is not a bot token.", file=sys.stderr)
        return 2
    except (TelegramAPIError, asyncio.TimeoutError) as error:
        print(f"Telegram refused the webhook: {error!r}", file=sys.stderr)
        return 1
    print(f"setWebhook: {result} (url {settings.telegram_webhook_url}, updates {', '.join(ALLOWED_UPDATES)})")
    return 0
