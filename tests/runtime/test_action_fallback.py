"""A custom action whose server is down answers politely; a rejection still passes through (`bot.rasa_patches`, 3)."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_patches import apply
from tests.aiohttp_thread import AiohttpThread
from tests.runtime.conftest import RESPONSES
from tests.servers import free_port


def run_action(url: str, small_domain) -> list:
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    apply()
    action = RemoteAction("action_next_step", EndpointConfig(url))
    tracker = DialogueStateTracker("user-1", small_domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(small_domain.responses)
    return asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, small_domain))


def test_an_unreachable_action_server_gets_the_user_a_polite_answer(small_domain):
    events = run_action(f"http://127.0.0.1:{free_port()}/webhook", small_domain)
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert events[0].text == RESPONSES["utter_try_again_shortly"][0]["text"]


@pytest.fixture
def action_server():
    """A stand-in action server: 502 like a balancer with no replica left, or 400 like a rejection."""
    status = {"code": 502}

    async def webhook(request: web.Request) -> web.Response:
        if status["code"] == 400:
            return web.json_response({"action_name": "action_next_step", "error": "no"}, status=400)
        return web.Response(status=status["code"], text="Bad Gateway")

    def make_app() -> web.Application:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        return app

    server = AiohttpThread(make_app, free_port(), name="fake-action-server")
    server.start()
    yield server, status
    server.stop()


def test_a_balancer_with_no_replica_left_gets_the_same_answer(action_server, small_domain):
    server, status = action_server
    events = run_action(f"{server.url}/webhook", small_domain)
    assert [event.text for event in events] == [RESPONSES["utter_try_again_shortly"][0]["text"]]


def test_a_rejection_is_not_a_failure(action_server, small_domain):
    server, status = action_server
    status["code"] = 400
    with pytest.raises(ActionExecutionRejection):
        run_action(f"{server.url}/webhook", small_domain)
