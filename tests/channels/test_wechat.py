"""The WeChat channel against a real Sanic server, the FakeAgent and the fake WeChat API."""
from __future__ import annotations

import time
from typing import Dict

import pytest
import requests
from rasa.core.channels.rest import RestInput
from sqlalchemy import select

from bot.channels.common import UNSUPPORTED_MESSAGE
from bot.channels.undelivered import Undeliverable, undelivered_in
from bot.channels.wechat import WeChatInput
from bot.channels.wechat_output import DeliveryFailed
from bot.database.database import get_database
from bot.database.migrate import upgrade
from bot.settings import get_settings, reset_settings_cache
from bot.tickets.models import UNDELIVERED, Ticket
from tests.fakes.wechat_api import ACCOUNT, FakeWeChatAPI
from tests.ticket_factories import make_ticket

TOKEN = "okpay-wechat-test-token"
BUTTONS = [{"title": "有用", "payload": "/affirm"}, {"title": "没用", "payload": "/deny"}]
AGENT = {"name": "小王", "number": "A007"}


@pytest.fixture
def api():
    fake = FakeWeChatAPI()
    yield fake
    fake.close()


@pytest.fixture
def configure(monkeypatch, api):
    """Sets OKPAY_WECHAT_* (pointing at the fake API) plus `overrides`, and returns fresh settings."""
    for name in ("OKPAY_REDIS_URL", "OKPAY_WECHAT_AES_KEY", "OKPAY_WECHAT_REPLY_DEADLINE_S"):
        monkeypatch.delenv(name, raising=False)

    def apply(**overrides: str):
        values = {"wechat_token": TOKEN, "wechat_app_id": api.app_id, "wechat_app_secret": api.app_secret,
                  "wechat_api_url": api.url, **overrides}
        for name, value in values.items():
            monkeypatch.setenv(f"OKPAY_{name.upper()}", str(value))
        reset_settings_cache()
        return get_settings()

    yield apply
    reset_settings_cache()


@pytest.fixture
def wechat(configure, serve_channels):
    """A server with the WeChat channel (and REST), configured for the fake API."""

    def start(**overrides: str):
        configure(**overrides)
        return serve_channels(WeChatInput.from_credentials(None), RestInput())

    return start


def webhook(server) -> str:
    return f"{server.url}/webhooks/wechat/webhook"


def post(server, xml: str, query: Dict[str, str] | None = None) -> requests.Response:
    query = FakeWeChatAPI.signed_query(TOKEN) if query is None else query
    return requests.post(webhook(server), params=query, data=xml.encode("utf-8"), timeout=10)


def reply_of(answer: requests.Response) -> Dict[str, str]:
    assert answer.status_code == 200, answer.text
    return FakeWeChatAPI.parse_reply(answer.text)


def test_server_verification_echoes_echostr_only_with_a_valid_signature(wechat):
    server = wechat()
    good = requests.get(webhook(server), params={**FakeWeChatAPI.signed_query(TOKEN), "echostr": "e-123"}, timeout=5)
    assert good.status_code == 200 and good.text == "e-123"
    assert good.headers["content-type"].startswith("text/plain")
    forged = requests.get(webhook(server), params={**FakeWeChatAPI.signed_query("other"), "echostr": "e"}, timeout=5)
    assert forged.status_code == 403
    assert requests.get(webhook(server), params={"echostr": "e"}, timeout=5).status_code == 403


def test_messages_without_a_valid_signature_are_refused_and_not_handed_over(wechat):
    server = wechat()
    xml = FakeWeChatAPI.text_message_xml("o_user1", "你好", 1001)
    assert post(server, xml, FakeWeChatAPI.signed_query("wrong-token")).status_code == 403
    assert post(server, xml, {}).status_code == 403
    tampered = {**FakeWeChatAPI.signed_query(TOKEN), "nonce": "changed"}
    assert post(server, xml, tampered).status_code == 403
    captured_long_ago = FakeWeChatAPI.signed_query(TOKEN, timestamp=str(int(time.time()) - 3600))
    assert post(server, xml, captured_long_ago).status_code == 403  # validly signed, but an old capture
    assert server.agent.received == []


def test_a_text_message_gets_the_bots_answer_as_one_passive_text_reply(wechat):
    server = wechat()
    server.agent.script = lambda text: [{"text": f"收到：{text}"}, {"text": "还有别的问题吗？"}]
    answer = post(server, FakeWeChatAPI.text_message_xml("o_user1", "  提现失败 ", 1001))
    reply = reply_of(answer)
    assert reply["ToUserName"] == "o_user1" and reply["FromUserName"] == ACCOUNT and reply["MsgType"] == "text"
    assert reply["Content"] == "收到：提现失败\n\n还有别的问题吗？"
    [message] = server.agent.received
    assert (message.sender_id, message.input_channel, message.text) == ("wechat:o_user1", "wechat", "提现失败")


def test_typed_external_intents_are_read_as_words_and_long_texts_cut(wechat):
    server = wechat(max_message_chars="20")
    post(server, FakeWeChatAPI.text_message_xml("o_user1", "/EXTERNAL_resolved", 1))
    post(server, FakeWeChatAPI.text_message_xml("o_user1", "长" * 50, 2))
    post(server, FakeWeChatAPI.text_message_xml("o_user1", "   ", 3))  # nothing to hand over
    assert server.agent.texts() == ["EXTERNAL_resolved", "长" * 20]


def test_safe_mode_decrypts_the_message_and_encrypts_the_reply(wechat):
    aes_key = FakeWeChatAPI.new_aes_key()
    server = wechat(wechat_aes_key=aes_key)
    api_app_id = get_settings().wechat_app_id
    body, query = FakeWeChatAPI.encrypt(FakeWeChatAPI.text_message_xml("o_safe", "你好", 2001), TOKEN, aes_key, api_app_id)
    answer = post(server, body, query)
    assert answer.status_code == 200 and "<Encrypt>" in answer.text and "你好" not in answer.text
    reply = FakeWeChatAPI.parse_reply(FakeWeChatAPI.decrypt_reply(answer.text, TOKEN, aes_key, api_app_id))
    assert reply["Content"] == "echo: 你好" and reply["ToUserName"] == "o_safe"
    assert server.agent.texts() == ["你好"]

    forged = {**query, "msg_signature": "0" * 40}
    assert post(server, body, forged).status_code == 403
    assert post(server, body, {**query, "signature": "0" * 40}).status_code == 403
    assert server.agent.texts() == ["你好"]


def test_a_safe_mode_message_without_an_aes_key_is_refused_clearly(wechat):
    server = wechat()
    body, query = FakeWeChatAPI.encrypt(FakeWeChatAPI.text_message_xml("o1", "你好", 1), TOKEN,
                                        FakeWeChatAPI.new_aes_key(), get_settings().wechat_app_id)
    answer = post(server, body, query)
    assert answer.status_code == 400 and "OKPAY_WECHAT_AES_KEY" in answer.json()["message"]
    assert server.agent.received == []


def test_buttons_are_numbered_and_a_number_picks_the_buttons_payload(wechat):
    server = wechat()
    server.agent.script = lambda text: [{"text": "这一步解决了吗？", "buttons": BUTTONS}] if text == "提现" else []
    content = reply_of(post(server, FakeWeChatAPI.text_message_xml("o_user1", "提现", 1)))["Content"]
    assert content.splitlines()[:3] == ["这一步解决了吗？", "1. 有用", "2. 没用"]
    assert post(server, FakeWeChatAPI.text_message_xml("o_user1", "2", 2)).text == "success"  # the bot said nothing
    post(server, FakeWeChatAPI.text_message_xml("o_user1", "2", 3))  # the buttons were answered: a plain "2"
    assert server.agent.texts() == ["提现", "/deny", "2"]


def test_a_new_follower_is_welcomed_and_other_events_are_acknowledged_only(wechat):
    server = wechat()
    server.agent.script = lambda text: [{"text": "欢迎关注"}] if text == "/greet" else [{"text": "?"}]
    reply = reply_of(post(server, FakeWeChatAPI.event_xml("o_new", "subscribe")))
    assert reply["Content"] == "欢迎关注" and reply["ToUserName"] == "o_new"
    for event in ("unsubscribe", "CLICK", "VIEW", "LOCATION", "SCAN"):
        answer = post(server, FakeWeChatAPI.event_xml("o_new", event))
        assert (answer.status_code, answer.text) == (200, "success")
    assert server.agent.texts() == ["/greet"]
    assert server.agent.received[0].sender_id == "wechat:o_new"


@pytest.mark.parametrize("msg_type, kind", [
    ("image", "image"), ("voice", "voice"), ("location", "location"), ("shortvideo", "video"),
    ("link", "link"), ("file", "file"), ("miniprogrampage", "other"),
])
def test_messages_the_bot_cannot_read_are_handed_over_as_unsupported(wechat, msg_type, kind):
    server = wechat()
    server.agent.script = lambda text: [{"text": "只能看懂文字"}] if text == UNSUPPORTED_MESSAGE else []
    reply = reply_of(post(server, FakeWeChatAPI.media_message_xml("o_user1", msg_type, 7)))
    assert reply["Content"] == "只能看懂文字"
    [message] = server.agent.received
    assert message.text == UNSUPPORTED_MESSAGE and message.metadata["message_kind"] == kind


def test_a_retried_delivery_is_handed_over_once_and_gets_the_same_reply(wechat):
    server = wechat()
    calls = iter(range(100))
    server.agent.script = lambda text: [{"text": f"answer {next(calls)}"}]
    xml = FakeWeChatAPI.text_message_xml("o_user1", "你好", 3001)
    first, retry = post(server, xml), post(server, xml)
    assert reply_of(first)["Content"] == reply_of(retry)["Content"] == "answer 0"
    event = FakeWeChatAPI.event_xml("o_user1", "subscribe", create_time=1700000000)
    assert reply_of(post(server, event))["Content"] == reply_of(post(server, event))["Content"] == "answer 1"
    assert server.agent.texts() == ["你好", "/greet"]


def test_a_slow_bot_gets_success_at_once_and_answers_by_the_customer_service_api(wechat, api):
    server = wechat(wechat_reply_deadline_s="0.3")
    server.agent.delay_s = 1.0
    server.agent.script = lambda text: [{"text": "第一条"}, {"text": "请选择", "buttons": BUTTONS}]
    started = time.monotonic()
    answer = post(server, FakeWeChatAPI.text_message_xml("o_slow", "你好", 4001))
    assert (answer.status_code, answer.text) == (200, "success")
    assert time.monotonic() - started < 0.9
    first, second = api.wait_for("o_slow", 2, timeout=5)
    assert first == "第一条" and second.splitlines()[:3] == ["请选择", "1. 有用", "2. 没用"]
    retry = post(server, FakeWeChatAPI.text_message_xml("o_slow", "你好", 4001))
    assert retry.text == "success" and len(server.agent.received) == 1


def test_when_the_bot_fails_wechat_gets_success_not_an_error(wechat, caplog):
    server = wechat()
    server.agent.fail = True
    answer = post(server, FakeWeChatAPI.text_message_xml("o_user1", "你好", 5001))
    assert (answer.status_code, answer.text) == (200, "success")
    assert "the bot failed" in caplog.text


def test_a_paused_conversation_gets_success(wechat):
    server = wechat()
    server.agent.script = lambda text: []  # waiting for a human agent: the bot says nothing
    answer = post(server, FakeWeChatAPI.text_message_xml("o_user1", "人呢", 5002))
    assert answer.text == "success" and server.agent.texts() == ["人呢"]


def test_an_agents_later_message_reaches_the_user_with_the_agents_name(wechat, api):
    server = wechat()
    output = server.output("wechat")
    assert output.name() == "wechat"
    server.run(output.send_response("wechat:o_user1", {"text": "您好，我来帮您看看", "agent": AGENT}))
    server.run(output.send_response("wechat:o_user1", {"text": "选一个", "buttons": BUTTONS}))
    first, second = api.wait_for("o_user1", 2)
    assert first == "【小王（工号 A007）】您好，我来帮您看看"
    assert second.splitlines()[:3] == ["选一个", "1. 有用", "2. 没用"]


def test_the_access_token_is_cached_and_fetched_again_when_refused(wechat, api):
    server = wechat()
    output = server.output("wechat")
    for text in ("一", "二"):
        server.run(output.send_text_message("wechat:o_user1", text))
    assert api.token_requests == 1
    api.fail_next(40001)
    server.run(output.send_text_message("wechat:o_user1", "三"))
    assert api.token_requests == 2
    api.expire_tokens()
    server.run(output.send_text_message("wechat:o_user1", "四"))
    assert api.token_requests == 3
    assert api.wait_for("o_user1", 4) == ["一", "二", "三", "四"]


def test_other_api_errors_are_raised_to_the_caller(wechat, api):
    server = wechat()
    api.fail_next(45047)  # too many messages
    with pytest.raises(DeliveryFailed) as failure:
        server.run(server.output("wechat").send_text_message("wechat:o_user1", "你好"))
    assert failure.value.reason == "api_error" and failure.value.errcode == 45047


@pytest.mark.parametrize("errcode, reason", [(45015, "window_closed"), (43004, "blocked")])
def test_an_undeliverable_message_is_raised_with_its_reason_for_the_ticket(wechat, api, tmp_path, errcode, reason):
    """The sender (the console's handoff service, through Rasa's API answer) notes it on the ticket."""
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    server = wechat(database_url=url)
    upgrade(url)
    with get_database().session() as session:
        ticket_id = make_ticket(session, conversation_id="wechat:o_gone", channel="wechat").id
    api.fail_next(errcode)
    with pytest.raises(DeliveryFailed) as failure:
        server.run(server.output("wechat").send_response("wechat:o_gone", {"text": "您好", "agent": AGENT}))
    assert failure.value.reason == reason and isinstance(failure.value, Undeliverable)
    assert undelivered_in(f"Error: {failure.value}") == ("wechat", reason)
    with get_database().session() as session:  # the channel writes no ticket
        ticket = session.execute(select(Ticket).where(Ticket.id == ticket_id)).scalar_one()
        assert [event for event in ticket.history if event.kind == UNDELIVERED] == []
    assert api.sent == []


@pytest.mark.parametrize("body", [
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">]><xml><MsgType>text</MsgType>'
    "<FromUserName>o1</FromUserName><Content>&lol;</Content><MsgId>1</MsgId></xml>",
    '<!DOCTYPE xml SYSTEM "http://evil.example/x.dtd"><xml><MsgType>text</MsgType></xml>',
    '<!DOCTYPE xml><xml><MsgType>text</MsgType><FromUserName>o1</FromUserName><MsgId>1</MsgId></xml>',
])
def test_xml_with_a_doctype_or_entities_is_refused(wechat, body):
    server = wechat()
    answer = post(server, body)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_xml"
    assert server.agent.received == []


def test_a_doctype_inside_a_safe_mode_message_is_refused_too(wechat):
    aes_key = FakeWeChatAPI.new_aes_key()
    server = wechat(wechat_aes_key=aes_key)
    inner = '<!DOCTYPE x [<!ENTITY e "e">]><xml><MsgType>text</MsgType><FromUserName>o1</FromUserName></xml>'
    body, query = FakeWeChatAPI.encrypt(inner, TOKEN, aes_key, get_settings().wechat_app_id)
    assert post(server, body, query).status_code == 400
    assert server.agent.received == []


@pytest.mark.parametrize("body", [
    "<xml><MsgType>text</MsgType>",
    "not xml at all",
    "",
    "<xml><FromUserName>o1</FromUserName><Content>hi</Content></xml>",
    "<xml><MsgType>text</MsgType><Content>hi</Content></xml>",
    "<other><MsgType>text</MsgType></other>",
])
def test_malformed_or_incomplete_xml_is_a_400(wechat, body):
    server = wechat()
    answer = post(server, body)
    assert answer.status_code == 400
    assert server.agent.received == []


def test_a_body_larger_than_the_limit_is_a_413(wechat):
    server = wechat(max_webhook_bytes="2048")
    big = FakeWeChatAPI.text_message_xml("o1", "长" * 2000, 1)
    assert post(server, big).status_code == 413
    assert post(server, FakeWeChatAPI.text_message_xml("o1", "短", 2)).status_code == 200
    assert server.agent.texts() == ["短"]


def test_without_its_secrets_the_channel_is_off_and_the_others_work(configure, serve_channels, caplog):
    configure(wechat_app_secret="")
    channel = WeChatInput.from_credentials({"app_secret": "ignored: the settings count"})
    server = serve_channels(channel, RestInput())
    off = post(server, FakeWeChatAPI.text_message_xml("o1", "你好", 1))
    assert off.status_code == 404 and off.json()["missing"] == ["OKPAY_WECHAT_APP_SECRET"]
    assert channel.get_output_channel() is None
    rest = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": "u1", "message": "你好"}, timeout=5)
    assert rest.json() == [{"recipient_id": "u1", "text": "echo: 你好"}]
    assert "The wechat channel is off: set OKPAY_WECHAT_APP_SECRET" in caplog.text


def test_replicas_share_replays_and_the_access_token_in_redis(configure, serve_channels, api, redis_url):
    configure(redis_url=redis_url)
    first = serve_channels(WeChatInput(get_settings(), redis_prefix=redis_url.prefix))
    second = serve_channels(WeChatInput(get_settings(), redis_prefix=redis_url.prefix))
    xml = FakeWeChatAPI.text_message_xml("o_user1", "你好", 6001)
    assert reply_of(post(first, xml))["Content"] == "echo: 你好"
    assert reply_of(post(second, xml))["Content"] == "echo: 你好"  # the retry reached the other replica
    assert first.agent.texts() == ["你好"] and second.agent.received == []

    first.run(first.output("wechat").send_text_message("wechat:o_user1", "一"))
    second.run(second.output("wechat").send_text_message("wechat:o_user1", "二"))
    assert api.wait_for("o_user1", 2) == ["一", "二"]
    assert api.token_requests == 1


# --- attacks -------------------------------------------------------------------------------


def test_with_an_aes_key_a_plain_message_is_refused(wechat):
    """In safe mode WeChat encrypts everything: a plain message (encrypt_type left out) was made by someone else."""
    server = wechat(wechat_aes_key=FakeWeChatAPI.new_aes_key())
    answer = post(server, FakeWeChatAPI.text_message_xml("o_victim", "我的工单", 3001))
    assert answer.status_code == 403 and answer.json()["error"] == "encryption_required"
    raw = post(server, FakeWeChatAPI.text_message_xml("o_victim", "我的工单", 3002),
               {**FakeWeChatAPI.signed_query(TOKEN), "encrypt_type": "raw"})
    assert raw.status_code == 403
    assert server.agent.received == []


def test_a_captured_signature_cannot_carry_a_second_body(wechat):
    """The signature covers token, timestamp and nonce only: the same query with another body is a replay."""
    server = wechat()
    query = FakeWeChatAPI.signed_query(TOKEN)
    assert reply_of(post(server, FakeWeChatAPI.text_message_xml("o_user1", "你好", 4001), query))["Content"]
    second = post(server, FakeWeChatAPI.text_message_xml("o_victim", "我的工单", 4002), query)
    assert second.status_code == 200 and second.text == "success"
    assert [message.sender_id for message in server.agent.received] == ["wechat:o_user1"]


def test_another_users_msgid_never_fetches_their_saved_reply(wechat):
    server = wechat()
    server.agent.script = lambda text: [{"text": f"您的工单 OK-20261130-0001：{text}"}]
    assert "OK-20261130-0001" in reply_of(post(server, FakeWeChatAPI.text_message_xml("o_victim", "查工单", 5001)))[
        "Content"]
    # Same MsgId, another sender: a message of its own, answered for that sender, never the victim's reply.
    server.agent.script = lambda text: [{"text": "echo"}]
    forged = reply_of(post(server, FakeWeChatAPI.text_message_xml("o_attacker", "随便", 5001)))
    assert forged["Content"] == "echo" and forged["ToUserName"] == "o_attacker"
    assert [message.sender_id for message in server.agent.received] == ["wechat:o_victim", "wechat:o_attacker"]


def test_an_openid_that_no_wechat_hands_out_is_refused(wechat):
    server = wechat()
    answer = post(server, FakeWeChatAPI.text_message_xml("o1/../../tracker?x=", "你好", 6001))
    assert answer.status_code == 400
    assert server.agent.received == []


def test_the_app_secret_and_access_token_never_reach_a_log(wechat, api, caplog):
    """A network error's message quotes the URL, which carries `secret=` (token fetch) or `access_token=`."""
    from tests.servers import free_port

    server = wechat(wechat_api_url=f"http://127.0.0.1:{free_port()}/cgi-bin/")
    with pytest.raises(DeliveryFailed):
        server.run(server.output("wechat").send_text_message("wechat:o_user1", "你好"))
    assert "sending to o_user1 failed" in caplog.text
    assert api.app_secret not in caplog.text


def test_a_flooding_user_is_told_to_slow_down_and_the_bot_sees_only_the_allowed(wechat, limits):
    from bot.channels.common import channel_messages

    limits(messages_per_minute=2)
    server = wechat()
    replies = [reply_of(post(server, FakeWeChatAPI.text_message_xml("o_flood", f"m{i}", 7000 + i)))["Content"]
               for i in range(1, 5)]
    slow_down = channel_messages()["rate_limited"]
    assert replies == ["echo: m1", "echo: m2", slow_down, slow_down]
    assert server.agent.texts() == ["m1", "m2"]


def test_each_refusal_is_counted_with_its_reason_and_a_message_with_its_channel(wechat, limits):
    from tests.metrics_reading import Snapshot

    limits(messages_per_minute=1)
    server = wechat(max_webhook_bytes="2048")
    snapshot = Snapshot()
    xml = FakeWeChatAPI.text_message_xml("o_counted", "你好", 8001)
    assert post(server, xml, FakeWeChatAPI.signed_query("wrong-token")).status_code == 403
    assert requests.get(webhook(server), params={"echostr": "e"}, timeout=5).status_code == 403
    assert post(server, FakeWeChatAPI.text_message_xml("o_counted", "长" * 2000, 8002)).status_code == 413
    assert post(server, "<xml><MsgType>text</MsgType>", None).status_code == 400
    query = FakeWeChatAPI.signed_query(TOKEN)
    assert reply_of(post(server, xml, query))["Content"] == "echo: 你好"
    assert post(server, FakeWeChatAPI.text_message_xml("o_counted", "再来", 8003), query).text == "success"  # replayed
    assert post(server, FakeWeChatAPI.text_message_xml("o_counted", "太快", 8004)).status_code == 200  # slow down

    def rejected(reason: str) -> float:
        return snapshot.delta("okpay_webhook_rejections_total", channel="wechat", reason=reason)

    assert [rejected(reason) for reason in ("bad_signature", "too_large", "bad_payload", "replayed", "rate_limited")] \
        == [2, 1, 1, 1, 1]
    assert snapshot.delta("okpay_messages_total", channel="wechat") == 1
    assert snapshot.delta("okpay_turn_duration_seconds_count", channel="wechat") == 1
