"""The console's client of Rasa's HTTP API, against Rasa's own authentication (sanic-jwt, `requires_auth`).

Attacks tried: a conversation id that would steer the request into another
conversation's path (`x/tracker/events?y=`), a client holding the wrong
secret, and a secret that would show in a URL (and so in access logs).
"""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
import rasa.server
from sanic import Sanic, response
from sanic_jwt import Initialize

from bot.cli.serve import free_port
from bot.console.rasa_client import RasaClient, RasaUnavailable

SECRET = "rasa-api-secret-for-tests-0123456789"
Sanic.test_mode = True


def rasa_like_app(seen: List[Dict[str, Any]]) -> Sanic:
    """An app with JWT set up exactly as `rasa.server.create_app` does, and tracker routes behind Rasa's own
    `requires_auth` that record what reached them (Rasa's real routes need a loaded model)."""
    app = Sanic(f"rasa_like_{free_port()}")
    app.config["USE_JWT"] = True
    Initialize(app, secret=SECRET, authenticate=rasa.server.authenticate, algorithm="HS256", user_id="username")

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


def run_against_rasa(scenario) -> List[Dict[str, Any]]:
    seen: List[Dict[str, Any]] = []
    port = free_port()

    async def main() -> None:
        app = rasa_like_app(seen)
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
        ("tracker", "rest:u1"), ("events", "widget:u:alice@example.com")]
    assert all("token" not in call["query"] for call in seen)


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
    assert call["route"] == "tracker"
    # The whole id stays one path segment, escaped: never "rest:x", never another route.
    assert call["id"] != "rest:x" and "/" not in call["id"] and call["id"].startswith("rest:")
