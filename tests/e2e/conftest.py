"""One real stack (action server, Rasa with the trained model, console) per test session.

Rasa's callback channel posts to a receiver in this process, so tests see the
messages pushed later (an agent's reply) the way a real channel would.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
import requests

from bot.cli.callback_receiver import CallbackReceiver
from bot.cli.serve import running_stack
from bot.database.database import Database
from bot.model_files import model_path
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.senders import sender_id
from tests.servers import free_port
from tests.ticket_factories import make_agent


@pytest.fixture(scope="session")
def callback():
    receiver = CallbackReceiver()
    yield receiver
    receiver.close()


WECHAT_TOKEN = "e2e-wechat-token"
TELEGRAM_SECRET = "e2e-telegram-secret"
WIDGET_SECRET = "e2e-widget-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def wechat_api():
    api = FakeWeChatAPI()
    yield api
    api.close()


@pytest.fixture(scope="session")
def telegram_api():
    api = FakeTelegramAPI()
    yield api
    api.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, callback, wechat_api, telegram_api):
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run scripts/train (scripts/test does it first)")
    home = tmp_path_factory.mktemp("stack")
    settings = Settings(
        rasa_port=free_port(),
        action_port=free_port(),
        tracker_db=home / "tracker.db",
        ticket_db=home / "tickets.db",
        console_port=free_port(),
        callback_url=callback.url,
        log_dir=home / "log",
        # Agents work around the clock in these tests; handoff decisions by the hour are unit-tested.
        service_hours="00:00-23:59",
        # Every channel on, against local fakes of the WeChat and Telegram APIs.
        widget_jwt_secret=WIDGET_SECRET,
        wechat_token=WECHAT_TOKEN,
        wechat_app_id=wechat_api.app_id,
        wechat_app_secret=wechat_api.app_secret,
        wechat_api_url=wechat_api.url,
        telegram_token=telegram_api.token,
        telegram_secret_token=TELEGRAM_SECRET,
        telegram_api_url=telegram_api.url,
    )
    with running_stack(settings, model) as running:
        yield running


class Chat:
    """A user talking to the REST channel, with the domain to read replies."""

    def __init__(self, stack, domain, sender: str):
        self.stack, self.domain, self.sender = stack, domain, sender
        #: The REST channel's conversation id: the channel sets the prefix.
        self.conversation = f"rest:{sender}"

    def say(self, text: str) -> List[Dict[str, Any]]:
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def texts(self, text: str) -> List[str]:
        return [message.get("text") for message in self.say(text)]

    def response(self, name: str, **slots: str) -> str:
        return self.domain["responses"][name][0]["text"].format(**slots)

    def responses(self, *names: str) -> List[str]:
        return [self.response(name) for name in names]

    def tracker(self) -> Dict[str, Any]:
        response = requests.get(
            f"{self.stack.rasa_url}/conversations/{self.conversation}/tracker",
            headers=self.stack.api_headers(),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture
def chat(stack, domain, request):
    return Chat(stack, domain, sender=sender_id(f"e2e-{request.node.name}"))


@pytest.fixture
def agents(stack):
    database = Database(stack.settings.ticket_database_url)
    with database.session() as session:
        first = make_agent(session, name="小李").username
        second = make_agent(session, name="小王").username
    database.dispose()
    return first, second
