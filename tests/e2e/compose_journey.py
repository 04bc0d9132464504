"""The support loop against the containers of deploy/compose.yml (run by scripts/compose-journey).

The user talks in the widget through nginx's public listener (socket.io, a token signed with the
deployment's widget secret, as the host app signs it); the agents use the console's JSON API. Not collected
by the normal test run (no `test_` file name): scripts/compose-journey runs it with the stack's addresses:

  OKPAY_JOURNEY_PUBLIC_URL    nginx's public listener (http://127.0.0.1:PORT)
  OKPAY_JOURNEY_CONSOLE_URL   the console
  OKPAY_JOURNEY_WIDGET_SECRET the deployment's OKPAY_WIDGET_JWT_SECRET
  OKPAY_JOURNEY_AGENTS        two agents' usernames, comma-separated (小李's first), password PASSWORD
"""
from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import Chat
from tests.e2e.console_agent import ConsoleAgent
from tests.e2e.journey import stuck_user_to_agent_and_back_to_a_rating
from tests.e2e.widget_user import WidgetUser

pytestmark = pytest.mark.e2e


def _setting(name: str) -> str:
    value = os.environ.get(f"OKPAY_JOURNEY_{name}", "")
    if not value:
        pytest.fail(f"OKPAY_JOURNEY_{name} is not set: run scripts/compose-journey")
    return value


@pytest.fixture(scope="module")
def deployment():
    return SimpleNamespace(public_url=_setting("PUBLIC_URL"), console_url=_setting("CONSOLE_URL"),
                           widget_secret=_setting("WIDGET_SECRET"), agents=_setting("AGENTS").split(","))


@pytest.fixture
def widget_user(deployment):
    # The script names the user, to look for the id in the containers' logs afterwards (compose_checks.py).
    subject = os.environ.get("OKPAY_JOURNEY_USER") or f"journey-{uuid.uuid4().hex[:8]}"
    user = WidgetUser(deployment.public_url, deployment.widget_secret, subject)
    yield user
    user.close()


def test_the_journey_through_the_containers(deployment, widget_user, domain):
    agents = tuple(ConsoleAgent(deployment, username) for username in deployment.agents)
    stuck_user_to_agent_and_back_to_a_rating(widget_user, agents, Chat(None, domain, widget_user))
