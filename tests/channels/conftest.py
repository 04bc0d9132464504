"""Channels served by a real Sanic server on 127.0.0.1, with a fake Rasa agent behind them.

No model is loaded: `FakeAgent` answers each user message with scripted bot
messages through the message's own output channel, as Rasa would, and keeps
the conversation in Rasa's real in-memory tracker store, so channels read
history and buttons the way they do in production.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any, Callable, Coroutine, Dict, Iterator, List, Sequence

import pytest
from rasa.core.channels.channel import InputChannel, UserMessage, register
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Sanic

from bot.runtime.lock_store import FastInMemoryLockStore
from tests.servers import free_port

Reply = Dict[str, Any]
_app_names = itertools.count()
# Sanic rewrites its request methods the first time an app starts; in test mode
# it keeps the originals, so several apps can start one after another in one process.
Sanic.test_mode = True


class FakeAgent:
    """Rasa's Agent as the channels see it: `tracker_store`, and what `bot.runtime.message_guard` uses of it
    (`is_ready`, `lock_store`, `processor.handle_message`, `nlg`, `domain`), our channels' handler of every message.

    `script(text)` gives the bot messages for a user text (default: an echo);
    `delay_s` makes the bot slow, `fail` makes it raise.
    """

    def __init__(self) -> None:
        self.domain = Domain.empty()
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.lock_store = FastInMemoryLockStore()
        self.processor = self  # the guard hands the message to `processor.handle_message`
        self.nlg = TemplatedNaturalLanguageGenerator({})
        self.received: List[UserMessage] = []
        self.script: Callable[[str], Sequence[Reply]] = lambda text: [{"text": f"echo: {text}"}]
        self.delay_s = 0.0
        self.fail = False

    def is_ready(self) -> bool:
        return True

    def texts(self) -> List[str]:
        return [message.text for message in self.received]

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("the bot failed")
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, metadata=message.metadata, input_channel=message.input_channel))
        for reply in self.script(message.text or ""):
            await message.output_channel.send_response(message.sender_id, dict(reply))
            data = {key: value for key, value in reply.items() if key in ("buttons", "quick_replies", "custom")}
            metadata = {key: value for key, value in reply.items() if key == "agent"}
            tracker.update(BotUttered(reply.get("text"), data=data, metadata=metadata))
        await self.tracker_store.save(tracker)

    async def add_bot_message(self, sender_id: str, reply: Reply) -> None:
        """Records a bot message as if sent earlier (for history and button lookups)."""
        tracker = await self.tracker_store.get_or_create_tracker(sender_id)
        tracker.update(BotUttered(reply.get("text"), data={"buttons": reply.get("buttons") or []},
                                  metadata={k: v for k, v in reply.items() if k == "agent"}))
        await self.tracker_store.save(tracker)


class ChannelServer:
    """A Sanic app with `channels` under /webhooks/, served in a thread of its own."""

    def __init__(self, channels: Sequence[InputChannel]) -> None:
        self.channels = list(channels)
        self.agent = FakeAgent()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = Sanic(f"channels_test_{next(_app_names)}")
        self.app.ctx.agent = self.agent
        register(self.channels, self.app, route="/webhooks/")
        self.loop = asyncio.new_event_loop()
        self._server: Any = None

    def start(self) -> None:
        ready = threading.Event()
        errors: List[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                server = self.loop.run_until_complete(
                    self.app.create_server(host="127.0.0.1", port=self.port, return_asyncio_server=True)
                )
                self.loop.run_until_complete(server.startup())
                self.loop.run_until_complete(server.before_start())
                self.loop.run_until_complete(server.after_start())
                self._server = server
            except BaseException as error:  # noqa: BLE001 - reported to the test thread
                errors.append(error)
                return
            finally:
                ready.set()
            self.loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        if not ready.wait(15) or errors:
            raise RuntimeError(f"the channel server did not start: {errors}")

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 15.0) -> Any:
        """Runs `coroutine` on the server's loop (as Rasa's HTTP API would call an output channel)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def output(self, channel_name: str) -> Any:
        """The output channel Rasa would use for a later message (an agent's reply)."""
        channel = next(c for c in self.channels if c.name() == channel_name)
        return channel.get_output_channel()

    def events(self, sender_id: str) -> List[Dict[str, Any]]:
        async def read() -> List[Dict[str, Any]]:
            tracker = await self.agent.tracker_store.retrieve(sender_id)
            return [] if tracker is None else [event.as_dict() for event in tracker.events]

        return self.run(read())

    def kill(self) -> None:
        """Stops the server's loop where it stands, as a process that dies: no request is finished."""
        self.killed = True
        self.loop.call_soon_threadsafe(self.loop.stop)

    def stop(self) -> None:
        if getattr(self, "killed", False):
            return

        async def close() -> None:
            if self._server is not None:
                await self._server.before_stop()
                await self._server.close()
                await self._server.after_stop()

        try:
            self.run(close(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def serve_channels() -> Iterator[Callable[..., ChannelServer]]:
    """`serve_channels(channel, ...)` starts a ChannelServer; all are stopped after the test."""
    servers: List[ChannelServer] = []

    def start(*channels: InputChannel) -> ChannelServer:
        server = ChannelServer(channels)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def limits(monkeypatch):
    """`limits(name=value, …)` sets OKPAY_RATE_* (e.g. messages_per_minute) for the channels made afterwards."""
    from bot.settings import reset_settings_cache

    monkeypatch.delenv("OKPAY_REDIS_URL", raising=False)

    def apply(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"OKPAY_RATE_{name.upper()}", str(value))
        reset_settings_cache()

    yield apply
    reset_settings_cache()
