"""The whole support loop (tests/e2e/journey.py), through the real servers and the callback channel."""
from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.console_agent import ConsoleAgent as Agent
from tests.e2e.journey import stuck_user_to_agent_and_back_to_a_rating

pytestmark = pytest.mark.e2e


class CallbackUser:
    """A user of the callback channel: sends to Rasa, reads what the receiver got."""

    def __init__(self, stack, callback, sender: str):
        self.stack, self.callback, self.sender = stack, callback, sender

    def say(self, text: str) -> list:
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/callback/webhook",
            json={"sender": self.sender, "message": text}, timeout=30,
        )
        assert response.status_code == 200, response.text
        return self.callback.take(self.sender)

    def pushed(self, count: int) -> list:
        """What agents sent since the last look (the console's calls return once it was delivered)."""
        return self.callback.wait_for(self.sender, count)


def test_stuck_user_to_agent_and_back_to_a_rating(stack, callback, chat, agents):
    user = CallbackUser(stack, callback, "loop-user")
    stuck_user_to_agent_and_back_to_a_rating(user, (Agent(stack, agents[0]), Agent(stack, agents[1])), chat)


def test_a_waiting_user_can_cancel_and_is_back_with_the_bot(stack, callback, chat, agents):
    Agent(stack, agents[0])  # someone is online, so the ticket is queued
    user = CallbackUser(stack, callback, "cancel-user")
    assert user.say("转人工") == chat.responses("utter_handoff_start", "utter_ask_ticket_contact")
    user.say("me@example.com")
    user.say("跳过")
    user.say("跳过")
    queued = user.say("想问问我的提现")
    assert len(queued) == 1 and "预计等待" in queued[0]
    number = re.search(r"OK-\d{8}-\d{4}", queued[0]).group()
    cancelled = user.say("取消")
    assert len(cancelled) == 1 and number in cancelled[0]
    assert user.say("你好") == chat.responses("utter_greet")


def test_someone_elses_ticket_is_not_found(stack, callback, chat):
    user = CallbackUser(stack, callback, "nosy-user")
    assert user.say("查询工单 OK-20261121-9999") == chat.responses("utter_ticket_not_found")


def test_the_console_refuses_requests_without_a_session(stack):
    response = requests.get(f"{stack.console_url}/api/queue", timeout=10)
    assert response.status_code == 401 and response.json()["error"] == "not_signed_in"
    page = requests.get(f"{stack.console_url}/", timeout=10, allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"] == "/login"
