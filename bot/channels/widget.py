"""The in-app chat widget's channel: Rasa's socket.io channel, made safe and multi-process.

What changes from Rasa's `SocketIOInput`:
- the conversation id comes from a signed token (`bot.widget.tokens`), never
  from the client's `session_id`, so nobody can open someone else's conversation;
- every socket of a conversation joins a room named after it, and later
  messages (an agent's reply) are emitted to that room. With
  `OKPAY_REDIS_URL`, socket.io's Redis manager carries them to whichever Rasa
  process holds the socket, so `get_output_channel()` works with replicas;
- on (re)connection the widget gets the conversation's history; while the bot
  works it gets a typing indicator; while the user waits for an agent it can
  ask for its place in the queue.

Events (client → server): `session_request`, `user_uttered` {message},
`queue_status` (with an acknowledgement). Server → client: `session_confirm`
{session_id, anonymous, anonymous_token}, `history` {messages}, `bot_uttered`
{text, quick_replies?, agent?}, `bot_typing` {typing}, `user_echo` {text}.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List

import socketio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, Sanic
from socketio.exceptions import ConnectionRefusedError

from bot.channels.common import (
    ChannelLimits,
    agent_of,
    channel_messages,
    conversation_events,
    disabled_blueprint,
    guarded_turns,
    missing_settings,
    user_text,
)
from bot.channels.queue_status import queue_status
from bot.channels.widget_history import quick_replies, widget_history
from bot.observability import metrics
from bot.privacy import redact
from bot.ratelimit import CLIENT_KEY, address_key, client_address
from bot.settings import get_settings
from bot.widget.tokens import AUDIENCE, InvalidToken, anonymous_token, identity_from_token, secret_problem

logger = logging.getLogger(__name__)

NAMESPACE = "/"
SOCKET_PATH = "/socket.io"
#: Largest socket.io message accepted, in bytes (a user message is at most a few KB).
MAX_SOCKET_MESSAGE_BYTES = 64 * 1024


class WidgetOutput(OutputChannel):
    """Emits to the conversation's room: every tab of the user, in any process (with Redis)."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    def __init__(self, emitter: Any) -> None:
        #: An AsyncServer, or a write-only AsyncRedisManager in a process without sockets.
        self.emitter = emitter

    async def _emit(self, recipient_id: str, message: Dict[str, Any], **kwargs: Any) -> None:
        agent = agent_of(kwargs)
        if agent is not None:
            message["agent"] = {"name": agent["name"], "number": agent.get("number", "")}
        await self.emitter.emit("bot_uttered", message, room=recipient_id, namespace=NAMESPACE)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"text": text}, **kwargs)

    async def agent_typing(self, recipient_id: str, typing: bool) -> None:
        """Shows (or hides) "客服正在输入…" in the user's widget while an agent writes in the console."""
        await self.emitter.emit("agent_typing", {"typing": bool(typing)}, room=recipient_id, namespace=NAMESPACE)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._emit(recipient_id, {"text": text, "quick_replies": quick_replies(buttons)}, **kwargs)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"image": image}, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        await self._emit(recipient_id, {"custom": json_message}, **kwargs)


class _WidgetBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint, remembering the app (for the tracker store)."""

    def __init__(self, channel: WidgetInput, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.channel = channel

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        self.ctx.channel.app = app
        super().register(app, options)


class WidgetInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        settings = get_settings()
        return cls(
            jwt_secret=settings.widget_jwt_secret,
            jwt_algorithm=settings.widget_jwt_algorithm,
            jwt_audience=settings.widget_jwt_audience,
            max_token_minutes=settings.widget_token_max_minutes,
            allowed_origins=settings.widget_origins,
            redis_url=settings.redis_url,
            anonymous_days=settings.widget_anonymous_days,
            max_message_chars=settings.max_message_chars,
        )

    def __init__(
        self,
        jwt_secret: str,
        jwt_algorithm: str = "HS256",
        jwt_audience: str = AUDIENCE,
        max_token_minutes: int = 1440,
        allowed_origins: List[str] | None = None,
        redis_url: str = "",
        anonymous_days: int = 30,
        max_message_chars: int = 2000,
        redis_channel: str = "okpay-widget",
    ) -> None:
        self.jwt_secret, self.jwt_algorithm = jwt_secret, jwt_algorithm
        self.jwt_audience, self.max_token_s = jwt_audience, max_token_minutes * 60
        self.allowed_origins = list(allowed_origins or [])
        self.redis_url, self.redis_channel = redis_url, redis_channel
        self.anonymous_days, self.max_message_chars = anonymous_days, max_message_chars
        self.sio: socketio.AsyncServer | None = None
        self.app: Sanic | None = None
        self.limits = ChannelLimits(get_settings())

    def _address(self, environ: Dict[str, Any]) -> str:
        """The client's address: the peer's, or behind our own proxy the one it forwarded."""
        request = environ.get("sanic.request")
        peer = (getattr(request, "ip", None) or environ.get("REMOTE_ADDR") or "") if request is not None else ""
        return client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"), get_settings().channel_proxies)

    def url_prefix(self) -> str:
        return "widget"

    def _client_manager(self, write_only: bool = False) -> Any:
        if not self.redis_url:
            return None
        return socketio.AsyncRedisManager(self.redis_url, channel=self.redis_channel, write_only=write_only)

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is not None:
            return WidgetOutput(self.sio)
        manager = self._client_manager(write_only=True)
        if manager is None:
            logger.warning("the widget channel serves no sockets in this process and has no Redis to reach them")
            return None
        return WidgetOutput(manager)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.jwt_secret:
            return disabled_blueprint("widget", missing_settings({"widget_jwt_secret": ""}))
        if secret_problem(self.jwt_secret):
            return disabled_blueprint("widget", [str(secret_problem(self.jwt_secret))])
        sio = socketio.AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.allowed_origins,
            client_manager=self._client_manager(),
            max_http_buffer_size=MAX_SOCKET_MESSAGE_BYTES,
        )
        self.sio = sio
        blueprint = _WidgetBlueprint(self, sio, SOCKET_PATH, "widget_socketio")
        on_new_message = guarded_turns(on_new_message, blueprint)
        output = WidgetOutput(sio)

        @sio.on("connect", namespace=NAMESPACE)
        async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
            token = auth.get("token") if isinstance(auth, dict) else None
            issued = None
            address = self._address(environ)
            if token:
                try:
                    identity = identity_from_token(str(token), self.jwt_secret, self.jwt_algorithm,
                                                   self.jwt_audience, self.max_token_s)
                except (InvalidToken, UnicodeError) as error:  # UnicodeError: "\ud800" (PyJWT encodes the token)
                    logger.info("widget connection refused: %s", error)
                    metrics.rejected(self.name(), metrics.BAD_TOKEN)
                    raise ConnectionRefusedError("invalid_token") from error
            else:
                if not await self.limits.new_visitor_allowed(address):
                    logger.warning("widget: too many new visitors from one address; connection refused")
                    metrics.rejected(self.name(), metrics.RATE_LIMITED)
                    raise ConnectionRefusedError("rate_limited")
                issued, identity = anonymous_token(self.jwt_secret, self.jwt_algorithm, self.anonymous_days)
            await sio.save_session(sid, {"conversation": identity.conversation_id, "anonymous": identity.anonymous,
                                         "issued": issued, "address": address}, namespace=NAMESPACE)
            await sio.enter_room(sid, identity.conversation_id, namespace=NAMESPACE)

        # Each handler takes `*_`: a client may send an event with any number of arguments
        # (without it, a second argument was a TypeError in the handler's task, found by tests/fuzz).
        @sio.on("session_request", namespace=NAMESPACE)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            session = await sio.get_session(sid, namespace=NAMESPACE)
            conversation = session["conversation"]
            await sio.emit("session_confirm", {
                "session_id": conversation,
                "anonymous": session["anonymous"],
                "anonymous_token": session["issued"],
            }, to=sid, namespace=NAMESPACE)
            events = await conversation_events(self.app, conversation) if self.app is not None else []
            await sio.emit("history", {"messages": widget_history(events)}, to=sid, namespace=NAMESPACE)

        @sio.on("user_uttered", namespace=NAMESPACE)
        async def user_uttered(sid: str, data: Any = None, *_: Any) -> None:
            text = user_text(data.get("message") if isinstance(data, dict) else None, self.max_message_chars)
            if not text:
                return
            session = await sio.get_session(sid, namespace=NAMESPACE)
            conversation = session["conversation"]
            if not await self.limits.message_allowed(conversation, session.get("address")):
                logger.warning("widget: %s sends faster than the rate limit; not handed to the bot", conversation)
                metrics.rejected(self.name(), metrics.RATE_LIMITED)
                if await self.limits.tell_slow_down(conversation):
                    await sio.emit("bot_uttered", {"text": channel_messages()["rate_limited"]}, to=sid,
                                   namespace=NAMESPACE)
                return
            display = data.get("display") if isinstance(data.get("display"), str) else text
            # The echo to the user's other tabs goes through Redis: it carries no secret either.
            echo = redact(display[: self.max_message_chars]).text
            await sio.emit("user_echo", {"text": echo}, room=conversation,
                           skip_sid=sid, namespace=NAMESPACE)
            await sio.emit("bot_typing", {"typing": True}, room=conversation, namespace=NAMESPACE)
            try:
                await on_new_message(UserMessage(text, output, conversation, input_channel=self.name(),
                                                 metadata={CLIENT_KEY: address_key(session.get("address"))}))
            except Exception:  # noqa: BLE001 - the socket must survive a failing turn
                logger.exception("widget: handling a message of %s failed", conversation)
            finally:
                await sio.emit("bot_typing", {"typing": False}, room=conversation, namespace=NAMESPACE)

        @sio.on("queue_status", namespace=NAMESPACE)
        async def queue(sid: str, data: Any = None, *_: Any) -> Dict[str, Any]:
            session = await sio.get_session(sid, namespace=NAMESPACE)
            return await queue_status(session["conversation"])

        return blueprint
