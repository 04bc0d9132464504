"""Messages to WeChat users through the customer-service API (客服消息).

Used for everything that is not a passive reply: an answer that missed the
reply deadline and an agent's message from the console. wechatpy is
synchronous, so calls run in a thread. The access token is cached until it
expires, in Redis when `redis_url` is set so replicas share one token (each
new token invalidates the previous one at WeChat after a while).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Dict, List, Sequence

from rasa.core.channels.channel import OutputChannel
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from bot.channels.common import (
    Button,
    channel_user,
    conversation_id,
    describe_error,
    numbered_options,
    with_agent_name,
)
from bot.channels.undelivered import Undeliverable
from bot.settings import Settings

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
#: errcode → the reason recorded on the user's ticket.
UNDELIVERABLE = {45015: "window_closed", 43004: "blocked"}
#: Token invalid or expired: fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}


class DeliveryFailed(RuntimeError):
    """A message did not reach the WeChat user (reason: api_error; see `Refused` for window_closed, blocked)."""

    def __init__(self, openid: str, reason: str, errcode: Any = None) -> None:
        super().__init__(f"WeChat did not deliver to {openid}: {reason} (errcode {errcode})")
        self.openid, self.reason, self.errcode = openid, reason, errcode


class Refused(DeliveryFailed, Undeliverable):
    """WeChat refuses messages to this user for now (window_closed) or for good (blocked): noted on the ticket
    by whoever sent it (`bot.channels.undelivered`)."""

    def __init__(self, openid: str, reason: str, errcode: Any = None) -> None:
        Undeliverable.__init__(self, CHANNEL, reason, f"WeChat did not deliver to {openid} (errcode {errcode})")
        self.openid, self.errcode = openid, errcode


class _Client(WeChatClient):
    """WeChatClient whose token URL follows `API_BASE_URL` (wechatpy hard-codes api.weixin.qq.com)."""

    def fetch_access_token(self) -> Dict[str, Any]:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        return self._fetch_access_token(url=f"{self.API_BASE_URL}token", params=params)


class WeChatSender:
    """Sends text through `message/custom/send`; one per channel, its client made on first use."""

    def __init__(self, settings: Settings, redis_prefix: str = "okpay:") -> None:
        self.settings, self.redis_prefix = settings, redis_prefix
        self._client: _Client | None = None
        self._token_lock = threading.Lock()

    def _storage(self) -> SessionStorage:
        if not self.settings.redis_url:
            return MemoryStorage()
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        client = redis.Redis.from_url(self.settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
        return RedisStorage(client, prefix=f"{self.redis_prefix}wechat")

    def client(self) -> _Client:
        if self._client is None:
            client = _Client(self.settings.wechat_app_id, self.settings.wechat_app_secret,
                             session=self._storage(), timeout=10, auto_retry=False)
            client.API_BASE_URL = self.settings.wechat_api_url
            self._client = client
        return self._client

    def _token(self, stale: str | None = None) -> str:
        """The cached token; a new one if it is `stale` (a concurrent refresh may have made one already)."""
        client = self.client()
        with self._token_lock:
            token = client.access_token
            if stale is not None and token == stale:
                client.fetch_access_token()
                token = client.session.get(client.access_token_key)
            return token

    def _post_text(self, openid: str, text: str, token: str) -> None:
        data = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        self.client().post("message/custom/send", params={"access_token": token}, data=data)

    def _send_sync(self, openid: str, text: str) -> None:
        token = self._token()
        try:
            self._post_text(openid, text, token)
        except WeChatClientException as error:
            if error.errcode not in TOKEN_ERRORS:
                raise
            logger.info("wechat: access token refused (errcode %s), fetching a new one", error.errcode)
            self._post_text(openid, text, self._token(stale=token))

    async def send_text(self, openid: str, text: str) -> None:
        """Sends `text` to `openid`; raises DeliveryFailed (`Refused` when WeChat refuses the user's messages)."""
        self.client()
        try:
            await asyncio.to_thread(self._send_sync, openid, text)
        except WeChatClientException as error:
            reason = UNDELIVERABLE.get(error.errcode)
            conversation = conversation_id(CHANNEL, openid)
            if reason is None:
                logger.error("wechat: sending to %s failed: %s", conversation, describe_error(error))
                raise DeliveryFailed(openid, "api_error", error.errcode) from error
            logger.warning("wechat: message to %s not delivered (%s, errcode %s)", conversation, reason, error.errcode)
            raise Refused(openid, reason, error.errcode) from error
        except Exception as error:  # noqa: BLE001 - network errors and the like
            logger.error("wechat: sending to %s failed: %s", openid, describe_error(error))
            raise DeliveryFailed(openid, "api_error") from error


class TextOutput(OutputChannel):
    """Every message as one plain text: buttons as numbered options, agents named."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def deliver(self, recipient_id: str, text: str) -> None:
        raise NotImplementedError

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.deliver(recipient_id, with_agent_name(text, kwargs))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Button],
                                     **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, numbered_options(text, buttons), **kwargs)

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: List[Button],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, attachment, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        logger.debug("wechat: custom payload not shown to %s", recipient_id)


class WeChatOutput(TextOutput):
    """Later messages (an agent's reply): sent at once through the customer-service API."""

    def __init__(self, sender: WeChatSender) -> None:
        self.sender = sender

    async def deliver(self, recipient_id: str, text: str) -> None:
        await self.sender.send_text(channel_user(recipient_id, CHANNEL), text)


class ReplyCollector(TextOutput):
    """The bot's answer to one message: kept for the passive reply until `go_live`,
    then (after the deadline) everything not sent yet, and all that follows,
    goes through the customer-service API in order."""

    def __init__(self, sender: WeChatSender, openid: str) -> None:
        self.sender, self.openid = sender, openid
        self.texts: List[str] = []
        self.live = False
        self._sent = 0
        self._lock = asyncio.Lock()

    async def deliver(self, recipient_id: str, text: str) -> None:
        self.texts.append(text)
        if self.live:
            await self.flush()

    async def go_live(self) -> None:
        self.live = True
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            while self._sent < len(self.texts):
                text = self.texts[self._sent]
                self._sent += 1
                try:
                    await self.sender.send_text(self.openid, text)
                except DeliveryFailed:
                    pass  # logged (and noted on the ticket) by the sender; the bot goes on

    def reply_text(self) -> str:
        return join_texts(self.texts)


def join_texts(texts: Sequence[str]) -> str:
    """The passive reply: all the bot's messages, separated by a blank line."""
    return "\n\n".join(text.strip() for text in texts if text and text.strip())
