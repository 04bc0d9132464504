"""The action server runs actions only for the caller that holds the shared secret (Rasa)."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sanic import Sanic

from bot.cli.action_server import SECRET_HEADER, create_app
from tests.servers import free_port

SECRET = "action-secret-for-tests-0123456789"
Sanic.test_mode = True
CALL = {"next_action": "action_no_such_action", "sender_id": "rest:u1", "tracker": {"sender_id": "rest:u1"},
        "domain": {}, "version": "3.6.21"}


def answers(requests, body=CALL):
    """(status, text) of each (method, path, headers) sent with `body` to an action server holding SECRET."""
    port = free_port()
    answered = []

    async def main() -> None:
        app = create_app(SECRET)
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.after_start()
        try:
            async with aiohttp.ClientSession() as session:
                for method, path, headers in requests:
                    async with session.request(method, f"http://127.0.0.1:{port}{path}", json=body,
                                               headers=headers) as response:
                        answered.append((response.status, await response.text()))
        finally:
            await server.close()

    asyncio.run(main())
    return answered


def statuses(requests):
    return [status for status, _ in answers(requests)]


def test_an_action_call_without_the_secret_is_refused_and_health_stays_open():
    assert statuses([
        ("POST", "/webhook", {}),
        ("POST", "/webhook", {SECRET_HEADER: "wrong"}),
        ("POST", "/webhook", {SECRET_HEADER: SECRET[:-1]}),
        ("POST", "/webhook/", {}),
        ("GET", "/actions", {}),
        ("GET", "/health", {}),
        ("GET", "/metrics", {}),
    ]) == [401, 401, 401, 401, 401, 200, 200]


def test_the_secret_lets_rasa_in():
    [status] = statuses([("POST", "/webhook", {SECRET_HEADER: SECRET})])
    assert status not in (401, 403)  # rasa-sdk's own answer: no such action


def test_production_does_not_start_without_a_secret(monkeypatch):
    from bot.settings import reset_settings_cache

    monkeypatch.setenv("OKPAY_ENVIRONMENT", "production")
    monkeypatch.setenv("OKPAY_RASA_TOKEN", "a-real-token-0123456789abcdef")
    monkeypatch.setenv("OKPAY_ACTION_SECRET", "a-real-action-secret-01234567")
    reset_settings_cache()
    try:
        with pytest.raises(SystemExit, match="OKPAY_ACTION_SECRET"):
            create_app("")
    finally:
        reset_settings_cache()


def test_metrics_show_what_the_actions_did_without_naming_the_user():
    """Prometheus reads `/metrics` without the secret; an action run with it (Rasa's call) moves a counter there."""
    from tests.metrics_reading import parse, value

    call = {"next_action": "action_handle_fallback", "sender_id": "rest:u-metrics-9d2e", "version": "3.6.21",
            "tracker": {"sender_id": "rest:u-metrics-9d2e", "slots": {}, "events": [], "paused": False,
                        "latest_message": {"text": "看不懂的话QWERTY", "intent": {"name": "nlu_fallback"},
                                           "intent_ranking": [], "entities": []},
                        "latest_event_time": None, "followup_action": None, "latest_input_channel": "rest",
                        "active_loop": {}, "latest_action_name": "action_listen"},
            "domain": {}}
    (before_status, before), (ran, _), (after_status, after) = answers([
        ("GET", "/metrics", {}), ("POST", "/webhook", {SECRET_HEADER: SECRET}), ("GET", "/metrics", {})], body=call)
    assert (before_status, ran, after_status) == (200, 200, 200)
    moved = value(parse(after), "okpay_fallbacks_total", reaction="rephrase") - value(
        parse(before), "okpay_fallbacks_total", reaction="rephrase")
    assert moved == 1
    assert "u-metrics-9d2e" not in after and "QWERTY" not in after
