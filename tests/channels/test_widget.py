"""The widget's socket.io channel, with real socket.io clients against a real server."""
from __future__ import annotations

import asyncio
from typing import Any

from bot.channels.widget import WidgetInput
from bot.widget.tokens import anonymous_token, user_token
from tests.channels.widget_client import Client

SECRET = "widget-test-secret-0123456789abcdef"
BUTTONS = [{"title": "解决了", "payload": "/affirm"}, {"title": "没解决", "payload": "/deny"}]


def widget(**overrides: Any) -> WidgetInput:
    return WidgetInput(jwt_secret=SECRET, allowed_origins=["http://127.0.0.1"], **overrides)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_signed_in_user_talks_in_the_conversation_named_by_the_token_not_by_the_client(serve_channels):
    server = serve_channels(widget())

    async def scenario():
        client = Client(server.url)
        confirm = await client.connect(user_token(SECRET, "HS256", "alice"))
        assert confirm == {"session_id": "widget:u:alice", "anonymous": False, "anonymous_token": None}
        await client.say("你好")
        reply = await client.wait("bot_uttered")
        await client.close()
        return reply

    assert run(scenario()) == {"text": "echo: 你好"}
    [message] = server.agent.received
    assert (message.sender_id, message.input_channel, message.text) == ("widget:u:alice", "widget", "你好")


def test_a_bad_or_expired_token_is_refused(serve_channels):
    server = serve_channels(widget())
    expired = user_token(SECRET, "HS256", "alice", minutes=-1)
    forged = user_token("another-secret-another-secret-xx", "HS256", "alice")

    for token in (expired, forged, "not-a-jwt"):
        assert run(Client(server.url).refused(token)) == {"message": "invalid_token"}
    assert server.agent.received == []


def test_an_anonymous_visitor_keeps_the_conversation_across_a_reload_but_never_reaches_a_user(serve_channels):
    server = serve_channels(widget())

    async def scenario():
        first = Client(server.url)
        confirm = await first.connect()
        assert confirm["anonymous"] is True and confirm["session_id"].startswith("widget:a:")
        await first.say("提现没到账")
        await first.wait("bot_uttered")
        await first.close()

        reloaded = Client(server.url)
        again = await reloaded.connect(confirm["anonymous_token"])
        history = await reloaded.wait("history")
        await reloaded.close()
        return confirm, again, history

    confirm, again, history = run(scenario())
    assert again["session_id"] == confirm["session_id"] and again["anonymous_token"] is None
    assert [(m["role"], m["text"]) for m in history["messages"]] == [("user", "提现没到账"), ("bot", "echo: 提现没到账")]


def test_an_anonymous_token_cannot_name_a_signed_in_users_conversation():
    from bot.widget.tokens import identity_from_token

    assert identity_from_token(user_token(SECRET, "HS256", "alice"), SECRET).conversation_id == "widget:u:alice"
    _, identity = anonymous_token(SECRET, "HS256", 1)
    assert identity.anonymous and identity.conversation_id.startswith("widget:a:")


def test_typing_is_shown_while_the_bot_works_and_buttons_come_as_quick_replies(serve_channels):
    server = serve_channels(widget())
    server.agent.script = lambda text: [{"text": "第一步：重启 App。解决了吗？", "buttons": BUTTONS}]

    async def scenario():
        client = Client(server.url)
        await client.connect(user_token(SECRET, "HS256", "bob"))
        await client.say("支付失败")
        await client.wait("bot_typing", 2)
        order = [name for name, _ in client.received if name in ("bot_typing", "bot_uttered")]
        typing = client.all("bot_typing")
        reply = client.all("bot_uttered")[0]
        await client.close()
        return order, typing, reply

    order, typing, reply = run(scenario())
    assert order == ["bot_typing", "bot_uttered", "bot_typing"]
    assert typing == [{"typing": True}, {"typing": False}]
    assert reply["quick_replies"] == BUTTONS


def test_history_shows_a_tapped_button_by_its_title_and_keeps_only_unanswered_buttons(serve_channels):
    server = serve_channels(widget())
    replies = iter([
        [{"text": "解决了吗？", "buttons": BUTTONS}], [{"text": "太好了"}], [{"text": "还有别的吗？", "buttons": BUTTONS}],
    ])
    server.agent.script = lambda text: next(replies)

    async def scenario():
        client = Client(server.url)
        token = user_token(SECRET, "HS256", "carol")
        await client.connect(token)
        await client.say("支付失败")
        await client.wait("bot_uttered")
        await client.say("/affirm", display="解决了")
        await client.wait("bot_uttered", 2)
        await client.say("谢谢")
        await client.wait("bot_uttered", 3)
        await client.close()
        again = Client(server.url)
        await again.connect(token)
        history = await again.wait("history")
        await again.close()
        return history["messages"]

    messages = run(scenario())
    assert [m["text"] for m in messages] == ["支付失败", "解决了吗？", "解决了", "太好了", "谢谢", "还有别的吗？"]
    assert [bool(m.get("quick_replies")) for m in messages] == [False] * 5 + [True]


def test_an_agent_reply_sent_later_reaches_every_tab_of_the_user_with_the_agent_name(serve_channels):
    server = serve_channels(widget())

    async def scenario():
        token = user_token(SECRET, "HS256", "dave")
        tabs = [Client(server.url), Client(server.url)]
        for tab in tabs:
            await tab.connect(token)
        output = server.output("widget")
        agent_message = {"text": "您好，我是小王", "agent": {"name": "小王", "number": "A007"}}
        server.run(output.send_response("widget:u:dave", dict(agent_message)))
        received = [await tab.wait("bot_uttered") for tab in tabs]
        for tab in tabs:
            await tab.close()
        return received

    assert run(scenario()) == [{"text": "您好，我是小王", "agent": {"name": "小王", "number": "A007"}}] * 2


def test_another_users_socket_receives_nothing(serve_channels):
    server = serve_channels(widget())

    async def scenario():
        eve = Client(server.url)
        await eve.connect(user_token(SECRET, "HS256", "eve"))
        await eve.say("你好")  # eve's own reply
        await eve.wait("bot_uttered")
        server.run(server.output("widget").send_response("widget:u:frank", {"text": "私密"}))
        await asyncio.sleep(0.3)
        await eve.close()
        return eve.all("bot_uttered")

    assert run(scenario()) == [{"text": "echo: 你好"}]


def test_with_redis_a_message_sent_by_another_process_reaches_the_socket(serve_channels, redis_url):
    channel_name = redis_url.prefix + "widget"
    holding = serve_channels(widget(redis_url=redis_url, redis_channel=channel_name))
    other = serve_channels(widget(redis_url=redis_url, redis_channel=channel_name))
    no_sockets = widget(redis_url=redis_url, redis_channel=channel_name)  # a process that never served the widget

    async def scenario():
        client = Client(holding.url)
        await client.connect(user_token(SECRET, "HS256", "gina"))
        await asyncio.sleep(0.3)  # the Redis listener subscribes in the background
        other.run(other.output("widget").send_response("widget:u:gina", {"text": "来自另一个进程"}))
        first = await client.wait("bot_uttered")
        await no_sockets.get_output_channel().send_response("widget:u:gina", {"text": "只写的管理器"})
        second = await client.wait("bot_uttered", 2)
        await client.close()
        return first, second

    first, second = run(scenario())
    assert first == {"text": "来自另一个进程"} and second == {"text": "只写的管理器"}


def test_empty_malformed_and_huge_messages(serve_channels):
    server = serve_channels(widget(max_message_chars=50))

    async def scenario():
        client = Client(server.url)
        await client.connect(user_token(SECRET, "HS256", "hank"))
        await client.sio.emit("user_uttered", "not an object")
        await client.sio.emit("user_uttered", {"message": "   "})
        await client.sio.emit("user_uttered", {"message": 42})
        await client.say("😀" * 500)
        await client.wait("bot_uttered")
        await client.close()

    run(scenario())
    assert server.agent.texts() == ["😀" * 50]


def test_a_failing_bot_turn_does_not_drop_the_socket(serve_channels):
    server = serve_channels(widget())

    async def scenario():
        client = Client(server.url)
        await client.connect(user_token(SECRET, "HS256", "ivy"))
        server.agent.fail = True
        await client.say("你好")
        await client.wait("bot_typing", 2)
        server.agent.fail = False
        await client.say("还在吗")
        reply = await client.wait("bot_uttered")
        await client.close()
        return reply

    assert run(scenario()) == {"text": "echo: 还在吗"}


def test_without_a_secret_the_widget_is_off_and_says_so(serve_channels, caplog):
    import requests

    server = serve_channels(WidgetInput(jwt_secret=""))
    response = requests.get(f"{server.url}/webhooks/widget/", timeout=5)
    assert response.status_code == 404 and response.json()["missing"] == ["OKPAY_WIDGET_JWT_SECRET"]
    assert "The widget channel is off" in caplog.text


def test_history_leaves_out_what_the_console_and_channels_sent_as_intents():
    from bot.channels.widget_history import widget_history

    events = [
        {"event": "user", "text": "转人工"},
        {"event": "user", "text": "EXTERNAL: EXTERNAL_handoff_resolved",
         "parse_data": {"intent": {"name": "EXTERNAL_handoff_resolved"}}},
        {"event": "user", "text": "/EXTERNAL_unsupported_message"},
        {"event": "bot", "text": "请打分", "data": {"buttons": BUTTONS}},
    ]
    assert [(m["role"], m["text"]) for m in widget_history(events)] == [("user", "转人工"), ("bot", "请打分")]


def test_messages_and_new_anonymous_visitors_are_rate_limited(serve_channels, limits):
    from bot.channels.common import channel_messages

    limits(messages_per_minute=2, new_visitors_per_hour_per_address=2)
    server = serve_channels(widget())

    async def scenario():
        client = Client(server.url)
        await client.connect(user_token(SECRET, "HS256", "alice"))
        for text in ("m1", "m2", "m3", "m4"):
            await client.say(text)
        await client.wait("bot_uttered", 3)
        await asyncio.sleep(0.3)
        texts = [data["text"] for data in client.all("bot_uttered")]
        await client.close()
        visitors = []
        for _ in range(2):
            visitor = Client(server.url)
            visitors.append((await visitor.connect())["anonymous"])
            await visitor.close()
        third = await Client(server.url).refused(None)
        return texts, visitors, third

    texts, visitors, third = run(scenario())
    # Handlers run side by side, so the order may vary; told once, the fourth dropped without a word.
    assert sorted(texts) == sorted(["echo: m1", "echo: m2", channel_messages()["rate_limited"]])
    assert sorted(server.agent.texts()) == ["m1", "m2"]
    assert visitors == [True, True] and third == {"message": "rate_limited"}


def test_the_widget_tells_the_bot_its_clients_hashed_address(serve_channels):
    server = serve_channels(widget())

    async def scenario():
        client = Client(server.url)
        await client.connect(user_token(SECRET, "HS256", "alice"))
        await client.say("你好")
        await client.wait("bot_uttered")
        await client.close()

    run(scenario())
    [message] = server.agent.received
    assert len(message.metadata["client"]) == 20 and "127.0.0.1" not in str(message.metadata)


def test_refusals_are_counted_with_their_reason_and_messages_with_their_channel(serve_channels, limits):
    from tests.metrics_reading import Snapshot

    limits(messages_per_minute=1, new_visitors_per_hour_per_address=1)
    server = serve_channels(widget())
    snapshot = Snapshot()

    async def scenario():
        assert await Client(server.url).refused("not-a-jwt") == {"message": "invalid_token"}
        client = Client(server.url)
        await client.connect(user_token(SECRET, "HS256", "alice"))
        await client.say("m1")
        await client.wait("bot_uttered")
        await client.say("m2")  # over the limit
        await client.wait("bot_uttered", 2)
        await client.close()
        visitor = Client(server.url)
        await visitor.connect()
        await visitor.close()
        assert await Client(server.url).refused(None) == {"message": "rate_limited"}  # a second new visitor

    run(scenario())
    assert snapshot.delta("okpay_webhook_rejections_total", channel="widget", reason="bad_token") == 1
    assert snapshot.delta("okpay_webhook_rejections_total", channel="widget", reason="rate_limited") == 2
    assert snapshot.delta("okpay_messages_total", channel="widget") == 1
    assert snapshot.delta("okpay_turn_duration_seconds_count", channel="widget") == 1
