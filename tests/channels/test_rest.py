"""The REST and callback channels: the channel names the conversation, never the body.

Attacks tried here: a body that names another channel's user (`widget:u:…`,
`wechat:…`), a body that picks the output channel (`input_channel`), sender
ids that would steer a URL (`x/tracker/events?y=`), a callback URL that does
not answer, and a failing turn whose text must not reach the log.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import requests
from rasa.utils.endpoints import EndpointConfig

from bot.channels.rest import REQUEST_ID_HEADER, CallbackInput, RestInput
from bot.cli.callback_receiver import CallbackReceiver
from bot.runtime.message_guard import REQUEST_ID
from tests.servers import free_port


def request(body: dict, headers: dict) -> SimpleNamespace:
    return SimpleNamespace(json=body, headers=headers)


def callback_channel(url: str) -> CallbackInput:
    return CallbackInput(EndpointConfig(url))


@pytest.fixture
def receiver():
    server = CallbackReceiver()
    yield server
    server.close()


def test_the_request_id_joins_the_bodys_metadata():
    channel = RestInput()
    body = {"sender": "u1", "message": "你好", "metadata": {"app_version": "3.2"}}
    assert channel.get_metadata(request(body, {REQUEST_ID_HEADER: "abc"})) == {"app_version": "3.2", REQUEST_ID: "abc"}
    assert channel.get_metadata(request({"sender": "u1", "message": "你好"}, {REQUEST_ID_HEADER: "abc"})) == {
        REQUEST_ID: "abc"}


def test_without_a_balancer_the_metadata_is_the_bodys():
    body = {"sender": "u1", "message": "你好", "metadata": {"app_version": "3.2"}}
    assert RestInput().get_metadata(request(body, {})) == {"app_version": "3.2"}
    assert callback_channel("http://127.0.0.1:1/bot").get_metadata(request({"sender": "u1", "message": "x"}, {})) is None


def test_a_rest_body_cannot_speak_as_a_user_of_another_channel(serve_channels):
    server = serve_channels(RestInput())
    answer = requests.post(f"{server.url}/webhooks/rest/webhook", timeout=5, json={
        "sender": "widget:u:alice", "message": "我的工单", "input_channel": "wechat"})
    assert answer.status_code == 200
    [message] = server.agent.received
    assert message.sender_id == "rest:widget:u:alice"
    assert message.input_channel == "rest"
    assert server.events("widget:u:alice") == []
    # The caller gets its own sender back, not our conversation id.
    assert answer.json() == [{"recipient_id": "widget:u:alice", "text": "echo: 我的工单"}]


@pytest.mark.parametrize("sender", [
    "x/tracker/events?y=", "../model", "a b", "u1\n", "%2Fconversations", "user#1", "a&token=x", "", "   ",
    "u" * 129, "用户", 42, None,
])
def test_a_sender_that_no_channel_hands_out_is_refused_before_the_bot_sees_it(serve_channels, sender):
    server = serve_channels(RestInput(), callback_channel("http://127.0.0.1:1/unused"))
    for channel in ("rest", "callback"):
        answer = requests.post(f"{server.url}/webhooks/{channel}/webhook", json={"sender": sender, "message": "hi"},
                               timeout=5)
        assert answer.status_code == 400, (channel, answer.text)
        assert "sender" in answer.text
    assert server.agent.received == []


def test_a_failing_turn_is_logged_without_the_users_text(serve_channels, caplog):
    server = serve_channels(RestInput())
    server.agent.fail = True
    answer = requests.post(f"{server.url}/webhooks/rest/webhook", timeout=5,
                           json={"sender": "u1", "message": "我的地址是幸福路 88 号"})
    assert answer.status_code == 200 and answer.json() == []
    assert "the turn of rest:u1 failed" in caplog.text
    assert "幸福路" not in caplog.text


def test_the_callback_gets_the_callers_sender_and_the_turn_is_stored(serve_channels, receiver):
    server = serve_channels(callback_channel(receiver.url))
    answer = requests.post(f"{server.url}/webhooks/callback/webhook", timeout=5,
                           json={"sender": "shop-42", "message": "你好"}, headers={REQUEST_ID_HEADER: "r-1"})
    assert answer.status_code == 200 and answer.text == "success"
    assert receiver.wait_for("shop-42", 1) == ["echo: 你好"]
    [message] = server.agent.received
    assert message.sender_id == "callback:shop-42" and message.metadata == {REQUEST_ID: "r-1"}


def test_an_unreachable_callback_url_is_a_clear_502_and_the_turn_is_kept(serve_channels, caplog):
    dead = f"http://127.0.0.1:{free_port()}/gone"
    server = serve_channels(callback_channel(dead))
    answer = requests.post(f"{server.url}/webhooks/callback/webhook", timeout=10,
                           json={"sender": "shop-42", "message": "付款失败"})
    assert answer.status_code == 502
    assert answer.json()["error"] == "callback_unreachable" and answer.json()["stored"] is True
    assert [event["text"] for event in server.events("callback:shop-42") if event["event"] == "user"] == ["付款失败"]
    assert "could not deliver a message for shop-42" in caplog.text


def test_a_later_message_reaches_the_callback_with_the_callers_sender(serve_channels, receiver):
    server = serve_channels(callback_channel(receiver.url))
    output = server.output("callback")
    server.run(output.send_text_message("callback:shop-42", "客服小李：您好"))
    assert receiver.wait_for("shop-42", 1) == ["客服小李：您好"]


def test_rest_answers_429_past_the_rate_limit_and_other_conversations_go_on(serve_channels, limits):
    from bot.channels.common import channel_messages

    limits(messages_per_minute=3)
    server = serve_channels(RestInput())
    url = f"{server.url}/webhooks/rest/webhook"
    codes = [requests.post(url, json={"sender": "flood", "message": f"m{i}"}, timeout=5).status_code
             for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = requests.post(url, json={"sender": "flood", "message": "again"}, timeout=5)
    assert refused.json() == {"error": "rate_limited", "message": channel_messages()["rate_limited"]}
    assert refused.headers["Retry-After"] == "60"
    assert requests.post(url, json={"sender": "calm", "message": "你好"}, timeout=5).status_code == 200
    assert server.agent.texts() == ["m0", "m1", "m2", "你好"]


def test_a_huge_message_is_cut_like_every_channels_and_external_intents_are_words(serve_channels, monkeypatch):
    from bot.settings import reset_settings_cache

    monkeypatch.setenv("OKPAY_MAX_MESSAGE_CHARS", "50")
    reset_settings_cache()
    server = serve_channels(RestInput())
    url = f"{server.url}/webhooks/rest/webhook"
    assert requests.post(url, json={"sender": "u1", "message": "付" * 100_000}, timeout=10).status_code == 200
    requests.post(url, json={"sender": "u1", "message": "/EXTERNAL_handoff_resolved"}, timeout=10)
    assert server.agent.texts() == ["付" * 50, "EXTERNAL_handoff_resolved"]
    reset_settings_cache()


def test_refusals_are_counted_with_their_reason_and_each_turn_timed(serve_channels, limits):
    from tests.metrics_reading import Snapshot

    limits(messages_per_minute=1)
    server = serve_channels(RestInput())
    snapshot = Snapshot()
    url = f"{server.url}/webhooks/rest/webhook"
    assert requests.post(url, json={"sender": "a b", "message": "hi"}, timeout=5).status_code == 400
    assert requests.post(url, data=b"{not json", timeout=5).status_code == 400
    assert requests.post(url, json={"sender": "u-counted", "message": "hi"}, timeout=5).status_code == 200
    assert requests.post(url, json={"sender": "u-counted", "message": "again"}, timeout=5).status_code == 429
    assert snapshot.delta("okpay_webhook_rejections_total", channel="rest", reason="bad_payload") == 2
    assert snapshot.delta("okpay_webhook_rejections_total", channel="rest", reason="rate_limited") == 1
    assert snapshot.delta("okpay_messages_total", channel="rest") == 1
    assert snapshot.delta("okpay_turn_duration_seconds_count", channel="rest") == 1
    assert snapshot.delta("okpay_lock_wait_seconds_count") == 1  # the turn took its conversation's lock
