"""The console app against a migrated SQLite store and a fake Rasa."""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, Dict, List, Tuple

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import create_app
from bot.console.login_limit import LoginLimiter
from bot.console.rasa_client import NotDelivered, RasaUnavailable
from bot.console.security import CSRF_COOKIE, CSRF_HEADER
from bot.database.database import Database
from bot.settings import Settings
from tests.ticket_factories import PASSWORD


class FakeRasa:
    """Stands in for RasaClient: records every call, serves a list of tracker events.

    With a `broker` (`bot.stream.broker.StreamBroker`), every event it stores is published too, as Rasa's
    tracker store does; `reads` counts the conversations read.
    """

    def __init__(self, broker: Any = None) -> None:
        self.broker, self.reads = broker, 0
        self.trackers: Dict[str, List[Dict[str, Any]]] = {}
        self.calls: List[Tuple[str, Tuple[Any, ...]]] = []
        self.down = False  # True: every call fails as if Rasa did not answer
        self.refuse_delivery = False  # True: agent messages fail as when the user's channel refuses them
        self._lock = threading.Lock()

    def add_events(self, conversation_id: str, *events: Dict[str, Any]) -> None:
        with self._lock:
            self.trackers.setdefault(conversation_id, []).extend(events)
        for event in events if self.broker is not None else ():
            self.broker.publish({**event, "sender_id": conversation_id})

    def called(self, name: str) -> List[Tuple[Any, ...]]:
        with self._lock:
            return [args for call, args in self.calls if call == name]

    def call_count(self) -> int:
        with self._lock:
            return len(self.calls)

    def _record(self, name: str, *args: Any) -> None:
        if self.down:
            raise RasaUnavailable("down")
        with self._lock:
            self.calls.append((name, args))

    async def events(self, conversation_id: str) -> List[Dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("down")
        with self._lock:
            self.reads += 1
            return [dict(event) for event in self.trackers.get(conversation_id, [])]

    async def append(self, conversation_id: str, events: List[Dict[str, Any]], channel: str | None = None) -> None:
        self._record("append", conversation_id, events, channel)
        self.add_events(conversation_id, *events)

    async def execute(self, conversation_id: str, action: str, channel: str) -> None:
        self._record("execute", conversation_id, action, channel)

    async def trigger_intent(self, conversation_id: str, intent: str, entities: Dict[str, str], channel: str) -> None:
        self._record("trigger_intent", conversation_id, intent, entities, channel)

    async def say_as_agent(self, conversation_id: str, text: str, agent: Dict[str, str], channel: str) -> None:
        if self.refuse_delivery:
            raise NotDelivered("the channel refused it")
        self._record("say_as_agent", conversation_id, text, agent, channel)
        self.add_events(conversation_id, {"event": "bot", "text": text, "metadata": {"agent": agent}, "timestamp": 40.0})

    async def hand_back(self, conversation_id: str, ticket_number: str, channel: str) -> None:
        self._record("hand_back", conversation_id, ticket_number, channel)
        self.add_events(conversation_id, {"event": "resume", "timestamp": 50.0})

    async def agent_typing(self, conversation_id: str, typing: bool = True) -> bool:
        self._record("agent_typing", conversation_id, typing)
        return conversation_id.startswith("widget:")

    async def introduce_agent(self, conversation_id: str, name: str, number: str, channel: str) -> None:
        self._record("introduce_agent", conversation_id, name, number, channel)

    async def close(self) -> None:
        with self._lock:
            self.calls.append(("close", ()))



@pytest.fixture
def console_db(support_db):
    return support_db


@pytest.fixture
def console_settings(console_db):
    return Settings(database_url=console_db.url, agent_capacity=2)


class BrowserClient:
    """A TestClient that, like console.js, sends the okpay_csrf cookie back in X-CSRF-Token with every POST.

    `raw` is the bare TestClient, for requests a page would not make.
    """

    def __init__(self, client: TestClient) -> None:
        self.raw = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def csrf(self) -> str | None:
        return next((cookie.value for cookie in self.raw.session.cookie_jar if cookie.key == CSRF_COOKIE), None)

    def post(self, path: str, **kwargs: Any) -> Any:
        token = self.csrf()
        if token:
            kwargs["headers"] = {CSRF_HEADER: token, **(kwargs.get("headers") or {})}
        return self.raw.post(path, **kwargs)


def run(settings: Settings, database: Database, scenario: Callable[[BrowserClient, FakeRasa], Awaitable[None]],
        login_limiter: LoginLimiter | None = None, feed: Any = None, rasa: FakeRasa | None = None) -> FakeRasa:
    """Runs `scenario(client, rasa)` against the app in a test server (following `feed`, an event stream)."""
    rasa = rasa or FakeRasa()

    async def main() -> None:
        client = TestClient(TestServer(create_app(settings, database, rasa, login_limiter, feed)))
        await client.start_server()
        try:
            await scenario(BrowserClient(client), rasa)
        finally:
            await client.close()

    asyncio.run(main())
    return rasa


async def sign_in(client: BrowserClient, username: str) -> str:
    """Signs `username` in (the session and CSRF cookies land in the client's jar); returns the session token."""
    response = await client.post("/api/login", json={"username": username, "password": PASSWORD})
    assert response.status == 200, await response.text()
    return (await response.json())["token"]
