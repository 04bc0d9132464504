"""The console's client of Rasa's HTTP API, against Rasa's own authentication (sanic-jwt, `requires_auth`).

Attacks tried: a conversation id that would steer the request into another
conversation's path (`x/tracker/events?y=`), a client holding the wrong
secret, and a secret that would show in a URL (and so in access logs).
"""
from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest
import rasa.core.channels.channel
import rasa.server
from sanic import Sanic, response
from sanic_jwt import Initialize

from bot.channels.conversation_events import ConversationEventsInput
from bot.console.rasa_client import RasaClient, RasaUnavailable
from bot.settings import get_settings
from tests.servers import free_port

SECRET = "rasa-api-secret-for-tests-0123456789"
Sanic.test_mode = True


class RecordingStore:
    """A tracker store as the channel sees it (behind Rasa's FailSafeTrackerStore): records what is asked."""

    def __init__(self, seen: List[Dict[str, Any]], store: Any) -> None:
        self.seen, self.inner = seen, store

    def events_after(self, conversation: str, after: int) -> Any:
        self.seen.append({"route": "events_after", "id": conversation, "after": after})
        return self.inner.events_after(conversation, after)


def rasa_like_app(seen: List[Dict[str, Any]], store: Any = None) -> Sanic:
    """An app with JWT set up exactly as `rasa.server.create_app` does, tracker routes behind Rasa's own
    `requires_auth` that record what reached them (Rasa's real routes need a loaded model), and our
    conversation events channel mounted as Rasa mounts channels, over `store`."""
    app = Sanic(f"rasa_like_{free_port()}")
    app.config["USE_JWT"] = True
    Initialize(app, secret=SECRET, authenticate=rasa.server.authenticate, algorithm="HS256", user_id="username")
    app.ctx.agent = SimpleNamespace(tracker_store=RecordingStore(seen, store or EmptyStore()))
    rasa.core.channels.channel.register([ConversationEventsInput()], app, route="/webhooks/")

    @app.exception(rasa.server.ErrorResponse)
    async def error(_: Any, exception: rasa.server.ErrorResponse) -> Any:
        return response.json(exception.error_info, status=exception.status)

    @app.get("/conversations/<conversation_id:path>/tracker")
    @rasa.server.requires_auth(app)
    async def tracker(request: Any, conversation_id: str) -> Any:
        seen.append({"route": "tracker", "id": conversation_id, "query": dict(request.args)})
        return response.json({"events": [{"event": "action", "name": "action_listen"}]})

    @app.post("/conversations/<conversation_id:path>/tracker/events")
    @rasa.server.requires_auth(app)
    async def events(request: Any, conversation_id: str) -> Any:
        seen.append({"route": "events", "id": conversation_id, "query": dict(request.args)})
        return response.json({})

    return app


class EmptyStore:
    def events_after(self, conversation: str, after: int) -> Any:
        return [{"event": "action", "name": "action_listen"}][after + 1:], 1


@pytest.fixture(autouse=True)
def rasa_token(monkeypatch):
    monkeypatch.setenv("OKPAY_RASA_TOKEN", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run_against_rasa(scenario, store: Any = None) -> List[Dict[str, Any]]:
    seen: List[Dict[str, Any]] = []
    port = free_port()

    async def main() -> None:
        app = rasa_like_app(seen, store)
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.after_start()
        try:
            await scenario(f"http://127.0.0.1:{port}")
        finally:
            await server.close()

    asyncio.run(main())
    return seen


def test_the_client_is_let_in_by_a_signed_header_and_puts_no_secret_in_the_url():
    async def scenario(url: str) -> None:
        client = RasaClient(url, SECRET)
        assert await client.events("rest:u1") == [{"event": "action", "name": "action_listen"}]
        await client.append("widget:u:alice@example.com", [{"event": "resume"}], channel="widget")
        await client.close()

    seen = run_against_rasa(scenario)
    assert [(call["route"], call["id"]) for call in seen] == [
        ("events_after", "rest:u1"), ("events", "widget:u:alice@example.com")]
    assert all("token" not in call.get("query", {}) for call in seen)


def test_a_client_with_the_wrong_secret_is_refused():
    async def scenario(url: str) -> None:
        client = RasaClient(url, "not-the-secret-" + "x" * 24)
        with pytest.raises(RasaUnavailable, match="401"):
            await client.events("rest:u1")
        await client.close()

    assert run_against_rasa(scenario) == []


@pytest.mark.parametrize("hostile", ["rest:x/tracker/events?y=", "rest:x/../victim", "rest:x#frag", "rest:a b"])
def test_a_conversation_id_cannot_steer_the_request_elsewhere(hostile):
    async def scenario(url: str) -> None:
        client = RasaClient(url, SECRET)
        await client.events(hostile)
        await client.close()

    [call] = run_against_rasa(scenario)
    assert call["route"] == "events_after"
    # The whole id stays one path segment, escaped: never "rest:x", never another route.
    assert call["id"] != "rest:x" and "/" not in call["id"] and call["id"].startswith("rest:")


def _turn(store, sender: str, text: str) -> None:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    tracker = asyncio.run(store.retrieve(sender)) or store.init_tracker(sender)
    for event in (UserUttered(text), BotUttered(f"答：{text}"), ActionExecuted("action_listen")):
        tracker.update(event)
    asyncio.run(store.save(tracker))


@pytest.fixture
def tracker_store(tmp_path):
    from rasa.shared.core.domain import Domain

    from bot.runtime.cached_tracker_store import CachedSQLTrackerStore

    return CachedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))


def test_the_console_asks_only_for_the_events_it_does_not_have(tracker_store):
    for text in ("你好", "付款失败"):
        _turn(tracker_store, "rest:u1", text)
    reads = []

    async def scenario(url: str) -> None:
        client = RasaClient(url, SECRET)
        reads.append(await client.events("rest:u1"))
        reads.append(await client.events("rest:u1"))
        await asyncio.to_thread(_turn, tracker_store, "rest:u1", "转人工")
        reads.append(await client.events("rest:u1"))
        await client.close()

    seen = run_against_rasa(scenario, tracker_store)
    assert [call["after"] for call in seen] == [-1, 5, 5]
    full = [event.as_dict() for event in asyncio.run(tracker_store.retrieve_full_tracker("rest:u1")).events]
    assert reads[0] == reads[1] == full[:6]
    assert reads[2] == full and [e.get("text") for e in full if e["event"] == "user"] == ["你好", "付款失败", "转人工"]


def test_a_conversation_that_lost_events_is_read_again_whole(tracker_store):
    import sqlite3

    for text in ("你好", "付款失败"):
        _turn(tracker_store, "rest:u1", text)

    async def scenario(url: str) -> None:
        client = RasaClient(url, SECRET)
        assert len(await client.events("rest:u1")) == 6
        with sqlite3.connect(tracker_store.engine.url.database) as connection:
            connection.execute("DELETE FROM events WHERE type_name = 'bot'")
        again = await client.events("rest:u1")
        assert [e["event"] for e in again] == ["user", "action", "user", "action"]
        await client.close()

    seen = run_against_rasa(scenario, tracker_store)
    assert [call["after"] for call in seen] == [-1, 5, -1]


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic " + SECRET, "Bearer {other}",
                                           "Bearer {expired}", "Bearer {not_admin}"])
def test_the_events_route_answers_only_a_valid_admin_token(authorization):
    import time

    import jwt
    import requests

    from bot.runtime.api_auth import api_token

    now = int(time.time())
    tokens = {
        "other": api_token("another-secret-" + "y" * 24),
        "expired": jwt.encode({"user": {"username": "c", "role": "admin"}, "exp": now - 10}, SECRET, "HS256"),
        "not_admin": jwt.encode({"user": {"username": "c", "role": "user"}, "exp": now + 60}, SECRET, "HS256"),
    }
    statuses = []

    async def scenario(url: str) -> None:
        headers = {"Authorization": authorization.format(**tokens)} if authorization else {}
        answer = await asyncio.to_thread(
            requests.get, f"{url}/webhooks/okpay_events/conversations/rest:u1/events", headers=headers, timeout=5)
        statuses.append(answer.status_code)

    assert run_against_rasa(scenario) == []
    assert statuses == [401]


@pytest.mark.parametrize("after", ["x", "-2", "1e3", "0x10"])
def test_a_bad_position_is_refused(after):
    import requests

    from bot.runtime.api_auth import api_headers

    statuses = []

    async def scenario(url: str) -> None:
        answer = await asyncio.to_thread(
            requests.get, f"{url}/webhooks/okpay_events/conversations/rest:u1/events", params={"after": after},
            headers=api_headers(SECRET), timeout=5)
        statuses.append(answer.status_code)

    assert run_against_rasa(scenario) == []
    assert statuses == [400]
