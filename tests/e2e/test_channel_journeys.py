"""The same support journey on WeChat and Telegram, through the real bot and console.

A guide step with buttons → "转人工" (a button) → ticket form → ticket and
handoff → an agent claims and replies from the console, and the reply reaches
the user on that channel (through the platform's API, here a local fake that
speaks it) → the agent resolves → the bot asks for a rating with buttons → the
rating is stored. The widget's journey runs in Chromium (test_widget_journey.py).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Dict, List

import pytest
import requests

from tests.e2e.conftest import TELEGRAM_SECRET, WECHAT_TOKEN
from tests.e2e.console_agent import ConsoleAgent
from tests.e2e.ticket_form import answer_until_ticket
from tests.fakes.telegram_api import text_update
from tests.fakes.wechat_api import FakeWeChatAPI

pytestmark = pytest.mark.e2e
_ids = itertools.count(int(1e9))


@dataclass
class Message:
    text: str
    buttons: List[str] = field(default_factory=list)


class WeChatUser:
    """A WeChat follower: signed XML to the webhook, passive replies, customer-service messages later."""

    def __init__(self, stack, api: FakeWeChatAPI, openid: str):
        self.stack, self.api, self.openid = stack, api, openid
        self.sender = f"wechat:{openid}"
        self.last: List[Message] = []
        self._pushed = 0

    def say(self, text: str) -> List[Message]:
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/wechat/webhook",
            params=FakeWeChatAPI.signed_query(WECHAT_TOKEN),
            data=FakeWeChatAPI.text_message_xml(self.openid, text, next(_ids)).encode("utf-8"),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        if response.text == "success":
            self.last = []
        else:
            content = FakeWeChatAPI.parse_reply(response.text)["Content"]
            self.last = [Message(content, re.findall(r"^\d+\. (.+)$", content, flags=re.M))]
        return self.last

    def tap(self, title: str) -> List[Message]:
        buttons = self.last[-1].buttons
        return self.say(str(buttons.index(title) + 1))  # buttons are numbered options; the number picks one

    def later(self, count: int) -> List[Message]:
        contents = self.api.wait_for(self.openid, self._pushed + count, timeout=15)[self._pushed:]
        self._pushed += len(contents)
        self.last = [Message(c, re.findall(r"^\d+\. (.+)$", c, flags=re.M)) for c in contents]
        return self.last


class TelegramUser:
    """A Telegram user: updates with the secret header, messages arriving through the Bot API."""

    def __init__(self, stack, api, chat_id: int):
        self.stack, self.api, self.chat_id = stack, api, chat_id
        self.sender = f"telegram:{chat_id}"
        self.last: List[Message] = []
        self._seen = 0

    def _post(self, update: Dict) -> None:
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/telegram/webhook", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=30,
        )
        assert response.status_code == 200, response.text

    def _new(self) -> List[Message]:
        bodies = [b for b in self.api.sent if str(b.get("chat_id")) == str(self.chat_id)][self._seen:]
        self._seen += len(bodies)
        self.last = [Message(b["text"], [row[0]["text"] for row in (b.get("reply_markup") or {}).get(
            "inline_keyboard", [])]) for b in bodies]
        return self.last

    def say(self, text: str) -> List[Message]:
        self._post(text_update(self.chat_id, text))
        return self._new()

    def tap(self, title: str) -> List[Message]:
        body = [b for b in self.api.sent if str(b.get("chat_id")) == str(self.chat_id)][-1]
        data = next(button["callback_data"] for row in body["reply_markup"]["inline_keyboard"] for button in row
                    if button["text"] == title)
        self._post(self.api.callback_update(self.chat_id, data))
        return self._new()

    def later(self, count: int) -> List[Message]:
        self.api.wait_for(self.chat_id, self._seen + count, timeout=15)
        return self._new()


def texts(messages: List[Message]) -> str:
    return "\n".join(message.text for message in messages)


def walk_the_journey(user, chat, agent: ConsoleAgent, agent_name: str) -> None:
    step = user.say("我付款一直失败，怎么回事")
    assert any("转人工" in message.buttons for message in step), step

    asked = texts(user.tap("转人工"))
    assert chat.response("utter_handoff_start") in asked and chat.response("utter_ask_ticket_contact") in asked

    number = answer_until_ticket(chat, lambda text: texts(user.say(text)), texts(user.say("13812345678")))
    assert "您排在第" in texts(user.last), texts(user.last)

    assert user.say("请快一点") == []  # paused: the bot is silent, the agent will see it

    agent.post(f"/api/tickets/{number}/claim")
    assert agent_name in texts(user.later(1))  # utter_agent_joined, sent later through the channel
    agent.post(f"/api/tickets/{number}/reply", {"text": "您好，我来帮您查这笔付款。"})
    [delivered] = user.later(1)
    assert delivered.text.startswith(f"【{agent_name}（工号 ") and delivered.text.endswith("您好，我来帮您查这笔付款。")

    lines = agent.get(f"/api/tickets/{number}/transcript")["messages"]
    assert ("user", "请快一点") in [(line["role"], line["text"]) for line in lines]

    agent.post(f"/api/tickets/{number}/resolve")
    handed_back = user.later(2)
    assert chat.response("utter_handback") in texts(handed_back)
    assert "5分 非常满意" in handed_back[-1].buttons
    assert chat.response("utter_ask_rating_comment") in texts(user.tap("5分 非常满意"))
    assert chat.response("utter_rating_thanks") in texts(user.say("处理得很快"))
    assert agent.get(f"/api/tickets/{number}")["ticket"]["rating"] == {"score": 5, "comment": "处理得很快"}


def test_the_journey_on_wechat(stack, chat, agents, wechat_api):
    walk_the_journey(WeChatUser(stack, wechat_api, "o6_e2e_wechat_user"), chat, ConsoleAgent(stack, agents[0]), "小李")


def test_the_journey_on_telegram(stack, chat, agents, telegram_api):
    walk_the_journey(TelegramUser(stack, telegram_api, 424242), chat, ConsoleAgent(stack, agents[0]), "小李")


def test_wechat_and_telegram_refuse_unsigned_requests_without_touching_the_bot(stack, wechat_api):
    xml = FakeWeChatAPI.text_message_xml("o6_forger", "转人工", next(_ids)).encode("utf-8")
    unsigned = requests.post(f"{stack.rasa_url}/webhooks/wechat/webhook", data=xml, timeout=10)
    assert unsigned.status_code == 403
    forged = requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=text_update(77, "转人工"),
                           headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}, timeout=10)
    assert forged.status_code == 403
    for sender in ("wechat:o6_forger", "telegram:77"):
        tracker = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", headers=stack.api_headers(),
                               timeout=10).json()
        assert not [e for e in tracker["events"] if e["event"] == "user"]


def test_an_image_on_wechat_gets_the_polite_text_reply(stack, chat, wechat_api):
    response = requests.post(
        f"{stack.rasa_url}/webhooks/wechat/webhook", params=FakeWeChatAPI.signed_query(WECHAT_TOKEN),
        data=FakeWeChatAPI.media_message_xml("o6_image_sender", "image", next(_ids)).encode("utf-8"), timeout=30,
    )
    assert FakeWeChatAPI.parse_reply(response.text)["Content"] == chat.response("utter_unsupported_message")
