"""WeChat official account (微信公众号): GET/POST /webhooks/wechat/webhook.

WeChat pushes each user message as XML, signed with the account's token
(and encrypted in safe mode), waits 5 s for a passive reply and otherwise
delivers it again, up to 3 times. So: every request's signature is checked;
a delivery is handed to the bot once, and again only if the process handling
it died (`DeliveryLedger`); an answer ready within
`wechat_reply_deadline_s` is the passive reply, a later one (and an agent's
message) goes through the customer-service API (`wechat_output`).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Set, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from bot.channels import common
from bot.channels.deliveries import DeliveryLedger, State, delivery_metadata
from bot.channels.replays import ReplayGuard
from bot.channels.wechat_output import CHANNEL, ReplyCollector, WeChatOutput, WeChatSender
from bot.channels.wechat_xml import BadXML, Incoming, parse_xml
from bot.observability import metrics
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

__all__ = ["WeChatInput", "WeChatOutput"]

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
SUCCESS = "success"  # WeChat's "received, no reply": it neither retries nor shows anything
#: What a new follower says, so the bot welcomes them.
GREETING = "/greet"
#: How far a request's signed timestamp may be from our clock (replays of old captures are refused).
MAX_CLOCK_SKEW_S = 300


def _error(status: int, error: str, message: str = "") -> HTTPResponse:
    return response.json({"error": error, "message": message}, status=status)


def _success() -> HTTPResponse:
    return response.text(SUCCESS)


class _Refused(Exception):
    """A request answered with an error and not processed; `reason` is what `okpay_webhook_rejections_total` says."""

    def __init__(self, reply: HTTPResponse, reason: str) -> None:
        self.reply, self.reason = reply, reason


class WeChatInput(InputChannel):
    """The channel; its settings come from `bot.settings`, not credentials.yml.

    `redis_prefix` namespaces its Redis keys (replays, access token); tests
    pass their own.
    """

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls(get_settings())

    def __init__(self, settings: Settings | None = None, redis_prefix: str = "okpay:") -> None:
        self.settings = settings or get_settings()
        self.redis_prefix = redis_prefix
        self.limits = common.ChannelLimits(self.settings)
        self.deliveries = DeliveryLedger(self.settings.redis_url, processing_ttl_s=self.settings.delivery_processing_s,
                                         prefix=f"{redis_prefix}seen:")
        #: Signatures (timestamp and nonce) seen, for as long as a timestamp is accepted.
        self.nonces = ReplayGuard(self.settings.redis_url, ttl_s=2 * MAX_CLOCK_SKEW_S + 60,
                                  prefix=f"{redis_prefix}wechat-nonce:")
        self._sender: WeChatSender | None = None
        self._crypto: WeChatCrypto | None = None
        #: Bots still answering after the deadline (a reference keeps the task alive).
        self._background: Set[asyncio.Task] = set()

    def _missing(self) -> List[str]:
        s = self.settings
        return common.missing_settings(
            {"wechat_token": s.wechat_token, "wechat_app_id": s.wechat_app_id, "wechat_app_secret": s.wechat_app_secret}
        )

    def sender(self) -> WeChatSender:
        if self._sender is None:
            self._sender = WeChatSender(self.settings, self.redis_prefix)
        return self._sender

    def get_output_channel(self) -> WeChatOutput | None:
        return None if self._missing() else WeChatOutput(self.sender())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        missing = self._missing()
        if not missing and self.settings.wechat_aes_key:
            try:
                s = self.settings
                self._crypto = WeChatCrypto(s.wechat_token, s.wechat_aes_key, s.wechat_app_id)
            except Exception:  # noqa: BLE001 - wrong length or not base64
                logger.error("OKPAY_WECHAT_AES_KEY is not a valid EncodingAESKey (43 characters)")
                missing = ["OKPAY_WECHAT_AES_KEY"]
        if missing:
            return common.disabled_blueprint(CHANNEL, missing)

        blueprint = Blueprint("wechat_webhook", url_prefix=None)
        on_new_message = common.guarded_turns(on_new_message, blueprint)

        async def verify(request: Request) -> HTTPResponse:
            if not self._signed(request):
                metrics.rejected(CHANNEL, metrics.BAD_SIGNATURE)
                return _error(403, "bad_signature")
            return response.text(request.args.get("echostr", ""))

        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = await self._read(request)
            except _Refused as refused:
                metrics.rejected(CHANNEL, refused.reason)
                return refused.reply
            return await self._answer(request, incoming, on_new_message)

        async def close(*_: Any) -> None:
            await self.deliveries.close()
            await self.limits.close()
            await self.nonces.close()

        blueprint.add_route(verify, "/webhook", methods=["GET"], name="wechat_verify")
        blueprint.add_route(receive, "/webhook", methods=["POST"], name="wechat_receive", stream=True)
        blueprint.listener("after_server_stop")(close)
        return blueprint

    # --- reading a request -------------------------------------------------

    def _signed(self, request: Request) -> bool:
        signature, timestamp, nonce = (request.args.get(key) for key in ("signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            return False
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_S:
            # A signed request captured and sent again later: older than the replay guard remembers.
            return False
        try:
            check_signature(self.settings.wechat_token, signature, timestamp, nonce)
        except InvalidSignatureException:
            return False
        return True

    async def _body(self, request: Request) -> bytes:
        limit = self.settings.max_webhook_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _Refused(_error(413, "too_large"), metrics.TOO_LARGE)
        chunks, size = [], 0
        while True:
            chunk = await request.stream.read()
            if chunk is None:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise _Refused(_error(413, "too_large"), metrics.TOO_LARGE)
            chunks.append(chunk)

    async def _read(self, request: Request) -> Incoming:
        if not self._signed(request):
            raise _Refused(_error(403, "bad_signature"), metrics.BAD_SIGNATURE)
        body = await self._body(request)
        safe_mode = request.args.get("encrypt_type", "raw") == "aes"
        if safe_mode and self._crypto is None:
            raise _Refused(_error(400, "aes_key_missing", "safe mode message but OKPAY_WECHAT_AES_KEY is not set"),
                           metrics.BAD_PAYLOAD)
        if self._crypto is not None and not safe_mode:
            # With an EncodingAESKey the account is in safe mode: a plain message did not come from WeChat.
            raise _Refused(_error(403, "encryption_required", "this account takes encrypted (safe mode) messages only"),
                           metrics.UNENCRYPTED)
        try:
            fields = parse_xml(body)
            if safe_mode:
                fields = parse_xml(self._decrypt(request, fields).encode("utf-8"))
            incoming = Incoming.from_fields(fields)
        except InvalidSignatureException:
            raise _Refused(_error(403, "bad_msg_signature"), metrics.BAD_SIGNATURE) from None
        except BadXML as error:
            raise _Refused(_error(400, "bad_xml", str(error)), metrics.BAD_PAYLOAD) from None
        if not await self.nonces.first_time(f"{request.args.get('timestamp')}:{request.args.get('nonce')}"):
            # The signature covers token, timestamp and nonce, not the body: a captured triple must not carry
            # a second body. Answered like a delivery in progress, with nothing handed over or read back.
            logger.warning("wechat: a signature was used again (timestamp %s); refused", request.args.get("timestamp"))
            raise _Refused(_success(), metrics.REPLAYED)
        return incoming

    def _decrypt(self, request: Request, envelope: Dict[str, Any]) -> str:
        assert self._crypto is not None
        if not isinstance(envelope.get("Encrypt"), str):
            raise BadXML("safe mode message without Encrypt")
        args = request.args
        try:
            return self._crypto.decrypt_message(
                envelope, args.get("msg_signature", ""), args.get("timestamp"), args.get("nonce")
            )
        except InvalidSignatureException:
            raise
        except Exception as error:  # noqa: BLE001 - bad base64, padding, app id
            raise BadXML(f"cannot decrypt: {error!r}") from error

    # --- answering ----------------------------------------------------------

    def _reply(self, request: Request, incoming: Incoming, content: str | None) -> HTTPResponse:
        if not content:
            return _success()
        xml = TextReply(source=incoming.account, target=incoming.openid, content=content, time=int(time.time())).render()
        if request.args.get("encrypt_type") == "aes" and self._crypto is not None:
            xml = self._crypto.encrypt_message(xml, request.args.get("nonce"))
        return response.text(xml, content_type="application/xml")

    async def _answer(self, request: Request, incoming: Incoming, on_new_message: OnNewMessage) -> HTTPResponse:
        handover = self._handover(incoming)
        if handover is None:
            return _success()
        if not await self.limits.message_allowed(common.conversation_id(CHANNEL, incoming.openid)):
            logger.warning("wechat: %s sends faster than the rate limit; not handed to the bot", incoming.openid)
            metrics.rejected(CHANNEL, metrics.RATE_LIMITED)
            return self._reply(request, incoming, common.channel_messages()["rate_limited"])
        key = incoming.replay_key
        delivery = await self.deliveries.claim(key)
        if delivery.state is State.DONE:
            logger.info("wechat: delivery %s handled already, its saved reply sent again", key)
            return self._reply(request, incoming, delivery.reply)
        if delivery.state is State.IN_PROGRESS:
            # The answer goes out through the customer-service API if it misses the deadline.
            logger.info("wechat: delivery %s is being handled by another process", key)
            return _success()
        text, metadata = handover
        if incoming.msg_type == "text":  # buttons are numbered options here: a number picks one
            conversation = common.conversation_id(CHANNEL, incoming.openid)
            text = await common.typed_choice(request.app, conversation, text, CHANNEL)
        metadata = {**(metadata or {}), **delivery_metadata(key, delivery)}
        content = await self._run_bot(incoming, (text, metadata), on_new_message, key)
        return self._reply(request, incoming, content)

    def _handover(self, incoming: Incoming) -> Tuple[str, Dict[str, Any] | None] | None:
        """What the bot is told (text, metadata), or None when nothing is handed over."""
        if incoming.msg_type == "event":
            return (GREETING, None) if incoming.event == "subscribe" else None
        if incoming.msg_type != "text":
            return common.UNSUPPORTED_MESSAGE, {"message_kind": incoming.unsupported_kind}
        text = common.user_text(incoming.content, self.settings.max_message_chars)
        return (text, None) if text else None

    async def _run_bot(self, incoming: Incoming, handover: Tuple[str, Dict[str, Any] | None],
                       on_new_message: OnNewMessage, key: str) -> str | None:
        """The passive reply if the bot answers within the deadline; else None, the rest goes on in the background.

        The delivery `key` is marked done when the turn is over, with the passive reply when there is one.
        """
        text, metadata = handover
        collector = ReplyCollector(self.sender(), incoming.openid)
        message = UserMessage(text, collector, common.conversation_id(CHANNEL, incoming.openid),
                              input_channel=CHANNEL, message_id=incoming.msg_id or None, metadata=metadata)

        async def turn() -> None:
            async with self.deliveries.processing(key):
                await on_new_message(message)

        task = asyncio.create_task(turn())
        task.add_done_callback(lambda done: self._mark_done(key, collector, done))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.settings.wechat_reply_deadline_s)
        except asyncio.CancelledError:  # WeChat hung up: still deliver the answer
            self._finish_late(task, collector)
            raise
        if not done:
            logger.info("wechat: the bot is slow for %s, answering by the customer-service API", message.sender_id)
            self._finish_late(task, collector)
            return None
        if task.exception() is not None:
            logger.error("wechat: the bot failed on a message of %s", message.sender_id, exc_info=task.exception())
            return None
        return collector.reply_text()

    def _mark_done(self, key: str, collector: ReplyCollector, task: asyncio.Task) -> None:
        """After the turn (stored, failed or cancelled): a later delivery of `key` gets the passive reply, or none."""
        reply = None if task.cancelled() or task.exception() is not None or collector.live else collector.reply_text()
        background = asyncio.ensure_future(self.deliveries.finish(key, reply))
        self._background.add(background)
        background.add_done_callback(self._background.discard)

    def _finish_late(self, task: asyncio.Task, collector: ReplyCollector) -> None:
        async def finish() -> None:
            await collector.go_live()
            try:
                await task
            except Exception:  # noqa: BLE001
                logger.exception("wechat: the bot failed on a late message of %s", collector.openid)

        background = asyncio.create_task(finish())
        self._background.add(background)
        background.add_done_callback(self._background.discard)
