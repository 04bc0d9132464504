"""What every channel shares: conversation ids, the user's text, buttons, agent names.

Conversation ids carry the channel (`wechat:<openid>`, `telegram:<chat id>`,
`widget:u:<user>`), so two channels never share a tracker by accident and the
console can tell where a user is.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Sequence

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ratelimit import RateLimiter, address_key

logger = logging.getLogger(__name__)

#: Sent by a channel (not typed) when the user sends something it cannot read
#: (image, voice, location …); the message's metadata says what it was.
UNSUPPORTED_MESSAGE = "/EXTERNAL_unsupported_message"
Button = Dict[str, Any]


def channel_messages() -> Dict[str, str]:
    """What channels add around the bot's replies (bot/texts/channels.yml)."""
    from bot.texts import texts

    return texts("channels")


#: What a channel's own user id may hold (WeChat openids, Telegram chat ids, a host app's user ids, the
#: REST sender): letters, digits and `_ . @ + = : -`. Nothing that means something in a URL (`/ ? # % &`),
#: no spaces or control characters, so an id can never steer a request of the console to Rasa's API into
#: another conversation (the console quotes ids as well, `bot.console.rasa_client`).
USER_ID = re.compile(r"[A-Za-z0-9_.@+=:-]{1,128}")


class InvalidSender(ValueError):
    """A user id that no channel hands out: refused before Rasa sees the message."""


def valid_user_id(user: Any) -> bool:
    return isinstance(user, str) and USER_ID.fullmatch(user) is not None


def conversation_id(channel: str, user: str) -> str:
    """The conversation of `user` on `channel`: the prefix comes from the channel, never from the caller."""
    if not valid_user_id(user):
        raise InvalidSender(f"{channel}: not a valid user id (1-128 of A-Z a-z 0-9 _ . @ + = : -)")
    return f"{channel}:{user}"


def channel_user(conversation: str, channel: str) -> str:
    """The channel's own user id (openid, chat id) inside a conversation id."""
    prefix = f"{channel}:"
    return conversation[len(prefix):] if conversation.startswith(prefix) else conversation


def user_text(raw: Any, limit: int) -> str:
    """The text handed to Rasa: trimmed, at most `limit` characters.

    `/EXTERNAL_…` intents are for the console and the channels only: typed by
    a user they lose their slash and are read as plain words.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    text = text[:limit]
    if text.startswith("/EXTERNAL_"):
        text = text[1:]
    return text


def numbered_options(text: str, buttons: Sequence[Button]) -> str:
    """`text` with its buttons as "1. title" lines, for channels without buttons."""
    if not buttons:
        return text
    lines = [f"{index}. {button.get('title', '')}" for index, button in enumerate(buttons, start=1)]
    return "\n".join([text.rstrip(), *lines, channel_messages()["choose_by_number"]])


def _option_number(text: str) -> int | None:
    """The number a reply is ("2", "２", " 2 。"), or None when it is not just a number."""
    number = unicodedata.normalize("NFKC", text or "").strip().rstrip(".。")
    # isdecimal, not isdigit: "፩" or "𐩀" are digits that int() refuses (a 500 found by tests/fuzz).
    return int(number) if number.isdecimal() else None


def chosen_payload(text: str, buttons: Sequence[Button]) -> str | None:
    """The payload of the button whose number `text` is ("2", "２", " 2 "), else None."""
    index = _option_number(text)
    if index is None or not buttons:
        return None
    return buttons[index - 1].get("payload") if 1 <= index <= len(buttons) else None


async def typed_choice(request_app: Any, conversation: str, text: str, channel: str) -> str:
    """What a typed reply means: a number picks that option of the pending buttons; anything else is itself.

    For channels without buttons (WeChat) and users who type instead of
    tapping (Telegram). Reads the tracker only for a reply that is a number.
    """
    if _option_number(text) is None:
        return text
    try:
        buttons = pending_buttons(await conversation_events(request_app, conversation))
    except Exception:  # noqa: BLE001 - the tracker store is down: the number goes on as typed
        logger.exception("%s: could not read the pending buttons of %s", channel, conversation)
        return text
    return chosen_payload(text, buttons) or text


def pending_buttons(events: Iterable[Dict[str, Any]]) -> List[Button]:
    """The buttons of the bot's latest message, if the user has not written since."""
    buttons: List[Button] = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            buttons = []
        elif kind == "bot":
            buttons = list((event.get("data") or {}).get("buttons") or [])
    return buttons


async def conversation_events(request_app: Any, conversation: str) -> List[Dict[str, Any]]:
    """The events of `conversation`'s current session from Rasa's tracker store ([] if none): `bot.conversations`."""
    from bot.conversations.reading import session_events

    return await session_events(request_app.ctx.agent.tracker_store, conversation)


#: Secrets that third-party clients put into URLs, and so into their exceptions' messages: WeChat's
#: `access_token=` and `secret=` query parameters, Telegram's `/bot<id>:<token>/` path.
_SECRETS_IN_URLS = re.compile(
    r"(?i)((?:access_token|appsecret|secret|token)=)[^&\s'\"]+|(/bot\d+:)[A-Za-z0-9_-]+"
)


def scrub_secrets(text: str) -> str:
    """`text` with the secrets that API URLs carry replaced by `***`."""
    return _SECRETS_IN_URLS.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def describe_error(error: BaseException) -> str:
    """An exception for a log line: its type and message, without the secrets of the URL it may quote."""
    return f"{type(error).__name__}: {scrub_secrets(str(error))}"[:500]


class ChannelLimits:
    """The rate limits every channel applies before a message reaches the bot (bot/ratelimit.py)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.redis_url, prefix="okpay:rate:")

    async def message_allowed(self, conversation: str, address: str | None = None) -> bool:
        """Counts a message of `conversation` (and of the client `address`, when the channel knows it)."""
        s = self.settings
        if not await self.limiter.allow(f"msg:{conversation}", s.rate_messages_per_minute, 60):
            return False
        if address is not None and not await self.limiter.allow(
                f"msg-addr:{address_key(address)}", s.rate_messages_per_minute_per_address, 60):
            return False
        return True

    async def new_visitor_allowed(self, address: str) -> bool:
        return await self.limiter.allow(f"visitor:{address_key(address)}",
                                        self.settings.rate_new_visitors_per_hour_per_address, 3600)

    async def tell_slow_down(self, conversation: str) -> bool:
        """Whether to tell `conversation` to slow down now: once a minute at most (a flood must not become a
        flood of our answers)."""
        return await self.limiter.allow(f"told:{conversation}", 1, 60)

    async def close(self) -> None:
        await self.limiter.close()


def agent_of(message: Dict[str, Any]) -> Dict[str, str] | None:
    """The agent who wrote `message` (set by the console), or None for the bot."""
    agent = message.get("agent")
    return agent if isinstance(agent, dict) and agent.get("name") else None


def with_agent_name(text: str, message: Dict[str, Any]) -> str:
    """`text` prefixed with the agent's name and number when an agent wrote it."""
    agent = agent_of(message)
    if agent is None:
        return text
    return channel_messages()["agent_prefix"].format(name=agent["name"], number=agent.get("number", "")) + text


def missing_settings(values: Dict[str, Any]) -> List[str]:
    """The OKPAY_* variables among `values` (setting name → value) that are empty."""
    return [f"OKPAY_{name.upper()}" for name, value in values.items() if not value]


def disabled_blueprint(channel: str, missing: Sequence[str]) -> Blueprint:
    """A channel left off: one log line at start, 404 with the reason on its webhook."""
    logger.warning("The %s channel is off: set %s to turn it on.", channel, ", ".join(missing))
    blueprint = Blueprint(f"{channel}_off", url_prefix=None)

    async def off(_: Request, path: str = "") -> HTTPResponse:
        return response.json({"error": "channel_off", "channel": channel, "missing": list(missing)}, status=404)

    blueprint.add_route(off, "/", methods=["GET", "POST"], name=f"{channel}_off_root")
    blueprint.add_route(off, "/<path:path>", methods=["GET", "POST"], name=f"{channel}_off_path")
    return blueprint


def serving_agent(blueprint: Blueprint) -> Any:
    """The Rasa agent of the app `blueprint` is registered on, or None (not registered, or an app without one)."""
    if not blueprint.registered:
        return None
    return next((app.ctx.agent for app in blueprint.apps if getattr(app.ctx, "agent", None) is not None), None)


def guarded_turns(on_new_message: Callable[[UserMessage], Awaitable[Any]], blueprint: Blueprint
                  ) -> Callable[[UserMessage], Awaitable[Any]]:
    """The handler a channel gives its messages to: their secrets hidden, then one guarded turn.

    Each of our channels wraps the handler Rasa gives it (`on_new_message`, which calls `Agent.handle_message`),
    so Rasa's own `rasa run` with our credentials.yml behaves as our server: the message's secrets are hidden
    before Rasa parses, stores or logs it (`bot.privacy.user_messages`), and the turn runs under
    `bot.runtime.message_guard` (fail closed without the lock, retry when the tracker store drops, no second run
    of a re-sent message). An app without a Rasa agent (a channel's own tests) gets `on_new_message` itself.
    Every message is counted and its turn timed here, per channel (`bot.observability.metrics.turn`).
    """
    from bot.logs.context import log_scope
    from bot.observability import metrics
    from bot.privacy.user_messages import redact_user_message
    from bot.runtime import message_guard

    async def handler(message: UserMessage) -> Any:
        # The lines logged during the turn carry the conversation's hash and never show the text (bot.logs).
        with log_scope(message.sender_id, (message.metadata or {}).get(message_guard.REQUEST_ID),
                       private=[message.text] if isinstance(message.text, str) else ()):
            redact_user_message(message)
            agent = serving_agent(blueprint)
            with metrics.turn(message.input_channel):
                if agent is None:
                    return await on_new_message(message)
                return await message_guard.handle_message(agent, message)

    return handler
