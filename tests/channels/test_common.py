from __future__ import annotations

import asyncio
import itertools

import requests
from rasa.core.channels.channel import InputChannel
from rasa.core.channels.rest import RestInput
from rasa.core.nlg import TemplatedNaturalLanguageGenerator

from bot.channels.common import (
    channel_user,
    chosen_payload,
    conversation_id,
    disabled_blueprint,
    missing_settings,
    numbered_options,
    pending_buttons,
    user_text,
    with_agent_name,
)
from bot.channels.replays import ReplayGuard
from bot.runtime.lock_store import FastInMemoryLockStore

BUTTONS = [{"title": "有用", "payload": "/affirm"}, {"title": "没用", "payload": "/deny"}]


class OffChannel(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "offline"

    def blueprint(self, on_new_message):
        return disabled_blueprint("offline", ["OKPAY_OFFLINE_TOKEN"])


def test_conversation_ids_carry_the_channel():
    assert conversation_id("wechat", "o6_bmjrPTlm6") == "wechat:o6_bmjrPTlm6"
    assert channel_user("wechat:o6_bmjrPTlm6", "wechat") == "o6_bmjrPTlm6"
    assert channel_user("12345", "telegram") == "12345"


def test_user_text_is_trimmed_cut_and_cannot_send_external_intents():
    assert user_text("  你好 ", 100) == "你好"
    assert user_text("长" * 50, 10) == "长" * 10
    assert user_text("/EXTERNAL_handoff_resolved", 100) == "EXTERNAL_handoff_resolved"
    assert user_text("/affirm", 100) == "/affirm"
    assert user_text(None, 100) == "" and user_text({"a": 1}, 100) == ""


def test_buttons_become_numbered_options_and_a_number_picks_one():
    text = numbered_options("这一步解决了吗？", BUTTONS)
    assert text.splitlines()[:3] == ["这一步解决了吗？", "1. 有用", "2. 没用"]
    assert chosen_payload("2", BUTTONS) == "/deny"
    assert chosen_payload(" １ ", BUTTONS) == "/affirm"  # full-width digit, as Chinese keyboards type it
    assert chosen_payload("3", BUTTONS) is None
    assert chosen_payload("0", BUTTONS) is None
    assert chosen_payload("好的", BUTTONS) is None
    assert numbered_options("你好", []) == "你好"


def test_pending_buttons_are_those_of_the_last_bot_message_not_yet_answered():
    asked = [{"event": "user", "text": "提现"}, {"event": "bot", "text": "q", "data": {"buttons": BUTTONS}}]
    assert pending_buttons(asked) == BUTTONS
    assert pending_buttons(asked + [{"event": "user", "text": "1"}]) == []
    assert pending_buttons(asked + [{"event": "bot", "text": "again"}]) == []


def test_agent_messages_are_prefixed_with_the_agent_name_and_number():
    assert with_agent_name("您好", {"agent": {"name": "小王", "number": "A007"}}) == "【小王（工号 A007）】您好"
    assert with_agent_name("您好", {}) == "您好"


def test_missing_settings_names_the_environment_variables():
    assert missing_settings({"wechat_token": "", "wechat_app_id": "wx1"}) == ["OKPAY_WECHAT_TOKEN"]


def test_a_channel_left_off_answers_404_with_the_reason_and_others_keep_working(serve_channels, caplog):
    server = serve_channels(OffChannel(), RestInput())
    off = requests.post(f"{server.url}/webhooks/offline/webhook", data="<xml/>", timeout=5)
    assert off.status_code == 404
    assert off.json() == {"error": "channel_off", "channel": "offline", "missing": ["OKPAY_OFFLINE_TOKEN"]}
    rest = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": "u1", "message": "你好"}, timeout=5)
    assert rest.json() == [{"recipient_id": "u1", "text": "echo: 你好"}]
    assert "The offline channel is off: set OKPAY_OFFLINE_TOKEN" in caplog.text


def test_replay_guard_handles_a_delivery_once_and_keeps_its_reply():
    async def scenario():
        guard = ReplayGuard()
        assert await guard.first_time("m1") is True
        assert await guard.first_time("m1") is False
        assert await guard.saved_reply("m1") is None
        await guard.save_reply("m1", "<xml>reply</xml>")
        assert await guard.saved_reply("m1") == "<xml>reply</xml>"
        assert await guard.first_time("m2") is True

    asyncio.run(scenario())


def test_replay_guard_forgets_after_its_time_to_live():
    async def scenario():
        guard = ReplayGuard(ttl_s=0)
        assert await guard.first_time("m1") is True
        await asyncio.sleep(0.01)
        assert await guard.first_time("m1") is True

    asyncio.run(scenario())


def test_replay_guard_in_redis_is_shared_between_guards(redis_url):
    async def scenario():
        first, second = ReplayGuard(redis_url, prefix=redis_url.prefix), ReplayGuard(redis_url, prefix=redis_url.prefix)
        try:
            assert await first.first_time("m1") is True
            assert await second.first_time("m1") is False
            await first.save_reply("m1", "答复")
            assert await second.saved_reply("m1") == "答复"
        finally:
            await first.close()
            await second.close()

    asyncio.run(scenario())


def test_replay_guard_handles_the_delivery_when_redis_is_down():
    async def scenario():
        guard = ReplayGuard("redis://127.0.0.1:1/0")
        assert await guard.first_time("m1") is True
        assert await guard.first_time("m1") is True  # no memory without Redis: handled, never lost
        await guard.save_reply("m1", "x")
        assert await guard.saved_reply("m1") is None

    asyncio.run(scenario())


def test_a_typed_number_picks_the_pending_button_and_only_numbers_read_the_tracker():
    from types import SimpleNamespace

    from bot.channels.common import typed_choice

    class Store:
        def __init__(self, events=None, down=False):
            self.events, self.down, self.reads = events or [], down, 0

        async def retrieve(self, sender_id):
            self.reads += 1
            if self.down:
                raise ConnectionError("tracker store down")
            return SimpleNamespace(events=[SimpleNamespace(as_dict=lambda e=e: e) for e in self.events])

    def app(store):
        return SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))

    asked = Store([{"event": "bot", "text": "q", "data": {"buttons": BUTTONS}}])
    assert asyncio.run(typed_choice(app(asked), "wechat:o1", "２", "wechat")) == "/deny"
    assert asyncio.run(typed_choice(app(asked), "wechat:o1", "好的", "wechat")) == "好的"
    assert asyncio.run(typed_choice(app(asked), "wechat:o1", "3", "wechat")) == "3"  # no third option
    assert asyncio.run(typed_choice(app(asked), "wechat:o1", "提现 500", "wechat")) == "提现 500"
    assert asked.reads == 2  # only "２" and "3" looked at the tracker
    down = Store(down=True)
    assert asyncio.run(typed_choice(app(down), "telegram:1", "1", "telegram")) == "1"  # typed as is


def test_secrets_that_api_urls_carry_are_scrubbed_from_error_descriptions():
    from bot.channels.common import describe_error, scrub_secrets

    wechat = "GET https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S3cr3t failed"
    assert "S3cr3t" not in scrub_secrets(wechat) and "appid=wx1" in scrub_secrets(wechat)
    assert "AbC123" not in scrub_secrets("POST /cgi-bin/message/custom/send?access_token=AbC123&x=1")
    telegram = ConnectionError("https://api.telegram.org/bot12345:AAH-secret_part/sendMessage unreachable")
    assert describe_error(telegram) == "ConnectionError: https://api.telegram.org/bot12345:***/sendMessage unreachable"


def _registered_blueprint(agent=None):
    """A blueprint registered on a Sanic app of its own (with `agent` as its Rasa agent)."""
    from sanic import Blueprint, Sanic

    app = Sanic(f"guarded_turns_{next(_apps)}")
    if agent is not None:
        app.ctx.agent = agent
    blueprint = Blueprint(f"guarded_{next(_apps)}")
    app.blueprint(blueprint)
    return blueprint


_apps = itertools.count()


def test_without_a_rasa_agent_the_message_goes_to_rasas_handler_with_its_secrets_hidden():
    from rasa.core.channels.channel import UserMessage

    from bot.channels.common import guarded_turns

    received = []

    async def rasa_handler(message):
        received.append((message.text, dict(message.metadata or {})))

    blueprint = _registered_blueprint()
    handler = guarded_turns(guarded_turns(rasa_handler, blueprint), blueprint)
    message = UserMessage("密码是abc12345，卡号6222020200112233445", sender_id="rest:u1", metadata={"request_id": "1"})
    asyncio.run(handler(message))
    [(text, metadata)] = received
    assert "abc12345" not in text and "6222020200112233445" not in text and text.count("[已隐藏]") == 2
    assert set(metadata["okpay_redacted"]) == {"password", "bank_card"} and metadata["request_id"] == "1"


def test_with_rasas_agent_the_turn_runs_under_the_guard_not_rasas_handler():
    """The lock store is down: the guard refuses the turn and tells the user (Rasa's handler would raise)."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.lock_store import LockError

    from bot.channels.common import guarded_turns
    from tests.channels.conftest import FakeAgent

    class DownLocks(FastInMemoryLockStore):
        def issue_ticket(self, conversation_id, lock_lifetime=60):
            raise LockError("Connection refused")

    agent = FakeAgent()
    agent.lock_store = DownLocks()
    agent.nlg = TemplatedNaturalLanguageGenerator({"utter_service_busy": [{"text": "系统正忙"}]})
    called = []

    async def rasa_handler(message):
        called.append(message)

    output = CollectingOutputChannel()
    handler = guarded_turns(rasa_handler, _registered_blueprint(agent))
    asyncio.run(handler(UserMessage("卡号6222020200112233445", output, "rest:u1")))
    assert called == [] and agent.received == []
    assert [m["text"] for m in output.messages] == ["系统正忙"]
    agent.lock_store = FastInMemoryLockStore()
    asyncio.run(handler(UserMessage("卡号6222020200112233445", output, "rest:u1")))
    assert agent.texts() == ["卡号[已隐藏]"] and called == []
