"""The Telegram channel against a local fake Bot API, behind a real Sanic server."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from typing import Any, Dict

import pytest
import requests
from aiogram.utils.exceptions import BotBlocked, ChatNotFound, RetryAfter, UserDeactivated

from bot.channels import telegram_output
from bot.channels.common import UNSUPPORTED_MESSAGE
from bot.channels.deliveries import DeliveryLedger
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, main
from bot.channels.telegram_output import inline_keyboard
from bot.channels.undelivered import Undeliverable, undelivered_in
from bot.database.database import get_database
from bot.database.migrate import upgrade
from bot.settings import get_settings, reset_settings_cache
from bot.tickets.models import UNDELIVERED, Ticket
from tests.fakes import telegram_api as updates
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.ticket_factories import make_ticket

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "okpay-Webhook_secret-1"
WEBHOOK_URL = "https://bot.okpay.example/webhooks/telegram/webhook"
BUTTONS = [{"title": "有用，问题解决了", "payload": "/affirm"}, {"title": "没用，还是不行", "payload": "/deny"}]
AGENT = {"name": "小王", "number": "A007"}


class Telegram:
    """The channel served with a fake agent behind it, and the fake Bot API it talks to."""

    def __init__(self, server: Any, api: FakeTelegramAPI) -> None:
        self.server, self.api, self.agent = server, api, server.agent

    def post(self, update: Dict[str, Any], secret: str | None = SECRET) -> requests.Response:
        return self.post_raw(json.dumps(update).encode("utf-8"), secret)

    def send_later(self, message: Dict[str, Any], conversation: str = "telegram:42") -> None:
        """Sends `message` as Rasa's HTTP API does for an agent's reply: the output channel is asked for
        inside the running loop (where Rasa's own connector fails: it calls asyncio.run there)."""

        async def send() -> None:
            await self.server.output("telegram").send_response(conversation, message)

        self.server.run(send())

    def post_raw(self, body: bytes, secret: str | None = SECRET) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return requests.post(f"{self.server.url}/webhooks/telegram/webhook", data=body, headers=headers, timeout=10)


@pytest.fixture
def api():
    fake = FakeTelegramAPI()
    yield fake
    fake.close()


@pytest.fixture
def telegram_env(monkeypatch, api):
    monkeypatch.setenv("OKPAY_TELEGRAM_TOKEN", api.token)
    monkeypatch.setenv("OKPAY_TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("OKPAY_TELEGRAM_API_URL", api.url)
    monkeypatch.setenv("OKPAY_TELEGRAM_WEBHOOK_URL", WEBHOOK_URL)
    monkeypatch.delenv("OKPAY_REDIS_URL", raising=False)
    reset_settings_cache()
    yield api
    reset_settings_cache()


@pytest.fixture
def telegram(serve_channels, telegram_env) -> Telegram:
    return Telegram(serve_channels(TelegramChannel.from_credentials(None)), telegram_env)


@pytest.fixture
def ticket_db(tmp_path, monkeypatch, telegram_env):
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    monkeypatch.setenv("OKPAY_DATABASE_URL", url)
    reset_settings_cache()
    upgrade(url)
    yield get_database()
    get_database().dispose()


# The channel's set-up ------------------------------------------------------------


def test_the_channel_reads_the_environment_not_the_credentials_file_and_builds_nothing_up_front(telegram_env):
    channel = TelegramChannel.from_credentials({"access_token": "999:from-the-file", "verify": "x", "webhook_url": "y"})
    assert TelegramChannel.name() == "telegram"
    assert channel.settings.telegram_token == telegram_env.token
    assert channel._output is None  # no Bot (and no HTTP session) until one is needed
    assert channel.get_output_channel() is channel.get_output_channel()
    assert telegram_env.calls == []


def test_the_replay_guard_lives_in_redis_when_redis_is_configured(telegram_env, monkeypatch, redis_url):
    monkeypatch.setenv("OKPAY_REDIS_URL", redis_url)
    reset_settings_cache()
    assert TelegramChannel.from_credentials(None).deliveries.redis_url == redis_url


@pytest.mark.parametrize("unset, missing", [
    (["OKPAY_TELEGRAM_SECRET_TOKEN"], ["OKPAY_TELEGRAM_SECRET_TOKEN"]),
    (["OKPAY_TELEGRAM_TOKEN", "OKPAY_TELEGRAM_SECRET_TOKEN"], ["OKPAY_TELEGRAM_TOKEN", "OKPAY_TELEGRAM_SECRET_TOKEN"]),
])
def test_without_its_secrets_the_channel_is_off_and_the_server_still_runs(serve_channels, telegram_env, monkeypatch,
                                                                          caplog, unset, missing):
    for name in unset:
        monkeypatch.delenv(name)
    reset_settings_cache()
    channel = TelegramChannel.from_credentials(None)
    telegram = Telegram(serve_channels(channel), telegram_env)
    answer = telegram.post(updates.text_update(42, "你好"))
    assert answer.status_code == 404
    assert answer.json() == {"error": "channel_off", "channel": "telegram", "missing": missing}
    assert telegram.agent.received == [] and telegram_env.calls == []
    assert "The telegram channel is off" in caplog.text


def test_a_malformed_token_turns_the_channel_off_instead_of_crashing(serve_channels, telegram_env, monkeypatch, caplog):
    monkeypatch.setenv("OKPAY_TELEGRAM_TOKEN", "not a token")
    reset_settings_cache()
    channel = TelegramChannel.from_credentials(None)
    telegram = Telegram(serve_channels(channel), telegram_env)
    assert telegram.post(updates.text_update(42, "你好")).status_code == 404
    assert channel.get_output_channel() is None
    assert "OKPAY_TELEGRAM_TOKEN is not a bot token" in caplog.text


# Incoming updates -----------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
def test_an_update_without_the_right_secret_is_refused_and_not_handed_over(telegram, secret):
    answer = telegram.post(updates.text_update(42, "你好"), secret=secret)
    assert answer.status_code == 403
    assert telegram.agent.received == []
    assert telegram.api.calls == []


def test_a_text_is_handed_to_the_bot_and_its_reply_sent_to_the_chat_as_plain_text(telegram):
    answer = telegram.post(updates.text_update(42, "  我的提现一直没到账 "))
    assert answer.status_code == 200
    [message] = telegram.agent.received
    assert (message.text, message.sender_id, message.input_channel) == ("我的提现一直没到账", "telegram:42", "telegram")
    [reply] = telegram.api.wait_for(42, 1)
    assert reply["text"] == "echo: 我的提现一直没到账"
    assert "parse_mode" not in reply and "reply_markup" not in reply
    assert telegram.api.calls == ["sendMessage"]  # no getMe per update, no setWebhook


def test_users_cannot_type_the_channels_own_intents(telegram):
    telegram.post(updates.text_update(42, "/EXTERNAL_handoff_resolved"))
    assert telegram.agent.texts() == ["EXTERNAL_handoff_resolved"]


@pytest.mark.parametrize("text", ["/start", "/start@okpay_test_bot", "/start spring-campaign"])
def test_start_greets(telegram, text):
    telegram.post(updates.text_update(7, text))
    assert telegram.agent.texts() == ["/greet"]
    assert telegram.agent.received[0].sender_id == "telegram:7"


def test_buttons_arrive_as_an_inline_keyboard_one_per_row_and_a_tap_hands_over_the_payload(telegram):
    telegram.agent.script = lambda text: [{"text": "这一步解决了吗？", "buttons": BUTTONS}] if text == "提现失败" else []
    telegram.post(updates.text_update(42, "提现失败"))
    [question] = telegram.api.wait_for(42, 1)
    assert question["text"] == "这一步解决了吗？"
    assert question["reply_markup"] == {"inline_keyboard": [
        [{"text": "有用，问题解决了", "callback_data": "/affirm"}],
        [{"text": "没用，还是不行", "callback_data": "/deny"}],
    ]}
    sent = telegram.api.messages[-1]

    tap = telegram.api.callback_update(42, "/deny")
    assert telegram.post(tap).status_code == 200
    assert telegram.agent.texts() == ["提现失败", "/deny"]
    assert telegram.agent.received[-1].sender_id == "telegram:42"
    assert telegram.api.bodies("answerCallbackQuery") == [{"callback_query_id": tap["callback_query"]["id"]}]
    assert telegram.api.bodies("editMessageReplyMarkup") == [
        {"chat_id": 42, "message_id": sent["message_id"], "reply_markup": {"inline_keyboard": []}}
    ]
    assert sent["reply_markup"] == {"inline_keyboard": []}  # the old buttons are gone from the chat


def test_a_tap_is_handled_even_when_telegram_refuses_to_answer_it_or_to_remove_the_keyboard(telegram, caplog):
    telegram.api.fail_next("answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired")
    telegram.api.fail_next("editMessageReplyMarkup", 400, "Bad Request: message is not modified")
    assert telegram.post(updates.callback_update(42, "/affirm", message_id=99)).status_code == 200
    assert telegram.agent.texts() == ["/affirm"]
    assert telegram.api.calls[:2] == ["answerCallbackQuery", "editMessageReplyMarkup"]
    assert "could not answer callback query" in caplog.text
    assert "could not remove the keyboard" in caplog.text


def test_a_tap_without_data_is_answered_and_nothing_handed_over(telegram):
    tap = updates.callback_update(42, "")
    del tap["callback_query"]["data"]
    assert telegram.post(tap).status_code == 200
    assert telegram.api.bodies("answerCallbackQuery") == [{"callback_query_id": tap["callback_query"]["id"]}]
    assert telegram.agent.received == []


def test_a_typed_number_picks_the_pending_button(telegram):
    telegram.server.run(telegram.agent.add_bot_message("telegram:42", {"text": "解决了吗？", "buttons": BUTTONS}))
    telegram.post(updates.text_update(42, "2"))
    assert telegram.agent.texts() == ["/deny"]
    telegram.post(updates.text_update(42, "1"))  # answered already: no pending buttons any more
    assert telegram.agent.texts() == ["/deny", "1"]


def test_a_number_beyond_the_buttons_or_in_another_chat_stays_text(telegram):
    telegram.server.run(telegram.agent.add_bot_message("telegram:42", {"text": "解决了吗？", "buttons": BUTTONS}))
    telegram.post(updates.text_update(43, "1"))
    telegram.post(updates.text_update(42, "3"))
    assert telegram.agent.texts() == ["1", "3"]


def test_media_is_handed_over_as_unsupported_with_its_kind(telegram):
    kinds = [(updates.photo_update, "image"), (updates.voice_update, "voice"), (updates.video_update, "video"),
             (updates.document_update, "file"), (updates.sticker_update, "sticker"),
             (updates.location_update, "location"), (updates.contact_update, "other")]
    for build, _ in kinds:
        assert telegram.post(build(42)).status_code == 200
    received = telegram.agent.received
    assert [message.text for message in received] == [UNSUPPORTED_MESSAGE] * len(kinds)
    assert [message.metadata["message_kind"] for message in received] == [kind for _, kind in kinds]
    assert {message.sender_id for message in received} == {"telegram:42"}


def test_edited_messages_and_updates_the_bot_does_not_handle_are_answered_200_and_ignored(telegram):
    ignored = [updates.edited_update(42, "改一下"), updates.channel_post_update(-1001, "公告"),
               updates.my_chat_member_update(42), updates.message_update(42, new_chat_title="群")]
    in_a_group = updates.text_update(-100123, "转人工")
    in_a_group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "OKPay 用户群"}
    ignored.append(in_a_group)
    for update in ignored:
        assert telegram.post(update).status_code == 200
    assert telegram.agent.received == []
    assert telegram.api.calls == []


def test_a_redelivered_update_is_handled_once(telegram):
    update = updates.text_update(42, "你好")
    assert telegram.post(update).status_code == 200
    assert telegram.post(update).status_code == 200
    tap = updates.callback_update(42, "/affirm")
    telegram.post(tap)
    telegram.post(tap)
    assert telegram.agent.texts() == ["你好", "/affirm"]
    assert telegram.api.calls.count("sendMessage") == 2
    assert telegram.api.calls.count("answerCallbackQuery") == 1


def test_replays_are_recognised_across_processes_through_redis(serve_channels, telegram_env, redis_url):
    def process() -> Telegram:
        ledger = DeliveryLedger(redis_url, prefix=redis_url.prefix)
        return Telegram(serve_channels(TelegramChannel(deliveries=ledger)), telegram_env)

    first, second = process(), process()
    update = updates.text_update(42, "你好")
    assert first.post(update).status_code == 200
    assert second.post(update).status_code == 200
    assert first.agent.texts() == ["你好"] and second.agent.received == []
    assert second.post(updates.text_update(42, "还在吗")).status_code == 200
    assert second.agent.texts() == ["还在吗"]


def test_when_the_bot_fails_the_update_is_still_answered_200_and_the_error_logged(telegram, caplog):
    telegram.agent.fail = True
    with caplog.at_level(logging.ERROR):
        answer = telegram.post(updates.text_update(42, "你好"))
    assert answer.status_code == 200
    assert len(telegram.agent.received) == 1
    assert "the bot failed on update" in caplog.text and "RuntimeError: the bot failed" in caplog.text


# Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"{not json",
    b"\xff\xfe{\"update_id\": 1}",
    b"",
    b"[1, 2]",
    b"\"update\"",
    b"null",
    b"[" * 20000 + b"]" * 20000,  # nested deeper than the parser's recursion limit
    json.dumps({"message": {"chat": {"id": 42}, "text": "hi"}}).encode(),
    json.dumps({"update_id": "7", "message": {"chat": {"id": 42}, "text": "hi"}}).encode(),
    json.dumps({"update_id": True}).encode(),
    json.dumps({"update_id": 7, "message": "hi"}).encode(),
    json.dumps({"update_id": 7, "message": {"chat": {"id": "42"}, "text": "hi"}}).encode(),
    json.dumps({"update_id": 7, "message": {"text": "hi"}}).encode(),
    json.dumps({"update_id": 7, "message": {"chat": {"id": 42}, "text": ["hi"]}}).encode(),
    json.dumps({"update_id": 7, "callback_query": {"data": "/affirm"}}).encode(),
    json.dumps({"update_id": 7, "callback_query": {"id": "q1", "data": 5, "from": {"id": 42}}}).encode(),
])
def test_a_body_that_is_not_an_update_is_a_400(telegram, body):
    answer = telegram.post_raw(body)
    assert answer.status_code == 400
    assert telegram.agent.received == [] and telegram.api.calls == []


def test_a_body_above_the_limit_is_a_413(telegram):
    update = updates.text_update(42, "长" * (get_settings().max_webhook_bytes // 3 + 10))
    answer = telegram.post(update)
    assert answer.status_code == 413
    assert telegram.agent.received == []


# Messages sent later (an agent's reply) ------------------------------------------------


def test_a_later_message_reaches_the_chat_with_the_agents_name(telegram):
    telegram.send_later({"text": "您好，我来帮您查一下。", "agent": AGENT})
    telegram.send_later({"text": "这样可以吗？", "buttons": BUTTONS, "agent": AGENT})
    first, second = telegram.api.wait_for(42, 2)
    assert first["text"] == "【小王（工号 A007）】您好，我来帮您查一下。"
    assert second["text"] == "【小王（工号 A007）】这样可以吗？"
    assert len(second["reply_markup"]["inline_keyboard"]) == 2
    assert telegram.api.calls == ["sendMessage", "sendMessage"]  # the webhook was left alone


def test_a_long_message_is_sent_in_parts_telegram_accepts(telegram):
    telegram.send_later({"text": "长" * 9000, "buttons": BUTTONS})
    parts = telegram.api.wait_for(42, 3)
    assert "".join(part["text"] for part in parts) == "长" * 9000
    assert [("reply_markup" in part) for part in parts] == [False, False, True]


@pytest.mark.parametrize("description, error", [
    ("Forbidden: bot was blocked by the user", BotBlocked),
    ("Forbidden: user is deactivated", UserDeactivated),
])
def test_a_message_telegram_refuses_because_the_user_left_is_raised_with_its_reason_for_the_ticket(
        telegram, ticket_db, description, error):
    """The sender (the console's handoff service, through Rasa's API answer) notes it on the ticket."""
    with ticket_db.session() as session:
        ticket_id = make_ticket(session, conversation_id="telegram:42", channel="telegram").id
    telegram.api.fail_next("sendMessage", 403, description)
    with pytest.raises(Undeliverable) as failure:
        telegram.send_later({"text": "您好", "agent": AGENT})
    assert isinstance(failure.value.__cause__, error)
    assert undelivered_in(str(failure.value)) == ("telegram", "blocked")
    with ticket_db.session() as session:  # the channel writes no ticket
        history = session.get(Ticket, ticket_id).history
        assert [event for event in history if event.kind == UNDELIVERED] == []
    assert telegram.api.sent == []


def test_a_rate_limited_message_waits_and_is_sent_again_once(telegram):
    telegram.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    telegram.send_later({"text": "您好"})
    assert time.monotonic() - started >= 0.9
    assert telegram.api.calls == ["sendMessage", "sendMessage"]
    assert [body["text"] for body in telegram.api.sent] == ["您好"]


def test_a_long_retry_after_is_capped_and_a_second_429_raised(telegram, monkeypatch):
    monkeypatch.setattr(telegram_output, "MAX_RETRY_WAIT_S", 0.2)
    for _ in range(2):
        telegram.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
    started = time.monotonic()
    with pytest.raises(RetryAfter):
        telegram.send_later({"text": "您好"})
    assert time.monotonic() - started < 5
    assert telegram.api.calls == ["sendMessage", "sendMessage"] and telegram.api.sent == []


def test_other_telegram_errors_are_logged_and_raised(telegram, caplog):
    telegram.api.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(ChatNotFound):
        telegram.send_later({"text": "您好"}, "telegram:404")
    assert "could not send to chat 404" in caplog.text


def test_buttons_whose_payload_telegram_would_refuse_fall_back_to_their_title(caplog):
    long_payload = '/inform{"transaction_id": "' + "9" * 60 + '"}'
    keyboard = inline_keyboard([
        {"title": "查这笔交易", "payload": long_payload},
        {"title": "打开帮助中心", "payload": "https://help.okpay.example", "type": "web_url"},
        {"title": "提" * 30, "payload": ""},
    ])
    assert keyboard == {"inline_keyboard": [
        [{"text": "查这笔交易", "callback_data": "查这笔交易"}],
        [{"text": "打开帮助中心", "url": "https://help.okpay.example"}],
        [{"text": "提" * 30, "callback_data": "提" * 21}],  # cut to 64 bytes, between characters
    ]}
    assert "sending its title instead" in caplog.text


# The set-webhook command ------------------------------------------------------------------


def test_set_webhook_registers_the_url_the_secret_and_the_updates_we_handle(telegram_env, capsys):
    assert main(["set-webhook"]) == 0
    assert telegram_env.webhook == {"url": WEBHOOK_URL, "secret_token": SECRET,
                                    "allowed_updates": ["message", "edited_message", "callback_query"]}
    assert "setWebhook: True" in capsys.readouterr().out


@pytest.mark.parametrize("variable, value, message", [
    ("OKPAY_TELEGRAM_WEBHOOK_URL", "", "set OKPAY_TELEGRAM_WEBHOOK_URL"),
    ("OKPAY_TELEGRAM_SECRET_TOKEN", "", "set OKPAY_TELEGRAM_SECRET_TOKEN"),
    ("OKPAY_TELEGRAM_SECRET_TOKEN", "秘密 token", "may only hold"),
    ("OKPAY_TELEGRAM_TOKEN", "not-a-token", "not a bot token"),
])
def test_set_webhook_explains_what_is_missing(telegram_env, monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    reset_settings_cache()
    assert main(["set-webhook"]) == 2
    assert message in capsys.readouterr().err
    assert telegram_env.calls == []


def test_set_webhook_reports_telegrams_refusal(telegram_env, capsys):
    telegram_env.fail_next("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
    assert main(["set-webhook"]) == 1
    assert "https url must be provided" in capsys.readouterr().err.lower()


def test_set_webhook_runs_as_a_module(telegram_env):
    env = {**os.environ, "OKPAY_TELEGRAM_WEBHOOK_URL": WEBHOOK_URL}
    done = subprocess.run([sys.executable, "-m", "bot.channels.telegram", "set-webhook"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert telegram_env.webhook["url"] == WEBHOOK_URL and telegram_env.calls == ["setWebhook"]


# The fake itself ------------------------------------------------------------------------------


def test_the_fake_speaks_the_bot_api_shape(api):
    me = requests.post(f"{api.url}/bot{api.token}/getMe", timeout=5).json()
    assert me["ok"] is True and me["result"]["is_bot"] is True
    sent = requests.post(f"{api.url}/bot{api.token}/sendMessage", json={"chat_id": 5, "text": "2"}, timeout=5).json()
    assert sent["result"]["chat"]["id"] == 5 and sent["result"]["text"] == "2"
    assert api.wait_for(5, 1) == [{"chat_id": 5, "text": "2"}]
    wrong = requests.post(f"{api.url}/bot123:wrong/getMe", timeout=5)
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(AssertionError):
        api.wait_for(6, 1, timeout=0.1)


def test_an_update_whose_process_died_mid_turn_is_handled_by_another_one(serve_channels, telegram_env):
    """Marked done only after the turn: Telegram's redelivery is handled, flagged so a stored turn is not rerun."""
    from bot.runtime.message_guard import REDELIVERY

    ledger = DeliveryLedger(processing_ttl_s=0.5)  # one ledger for both, as Redis is for replicas
    dying = Telegram(serve_channels(TelegramChannel(deliveries=ledger)), telegram_env)
    living = Telegram(serve_channels(TelegramChannel(deliveries=ledger)), telegram_env)
    dying.agent.delay_s = 30
    update = updates.text_update(42, "提现没到账")
    with pytest.raises(requests.Timeout):
        requests.post(f"{dying.server.url}/webhooks/telegram/webhook", json=update,
                      headers={SECRET_HEADER: SECRET}, timeout=0.5)
    # While the first process works on it, a redelivery is refused for now (Telegram tries again later).
    assert living.post(update).status_code == 503 and living.agent.received == []
    dying.server.kill()  # the process dies mid-turn
    time.sleep(1.0)
    assert living.post(update).status_code == 200
    [message] = living.agent.received
    assert message.text == "提现没到账" and message.metadata[REDELIVERY] is True
    assert living.post(update).status_code == 200 and len(living.agent.received) == 1  # done now


def test_a_flood_is_answered_200_not_handed_over_and_told_to_slow_down_once(serve_channels, telegram_env, limits):
    from bot.channels.common import channel_messages

    limits(messages_per_minute=2)
    telegram = Telegram(serve_channels(TelegramChannel.from_credentials(None)), telegram_env)
    codes = [telegram.post(updates.text_update(42, f"m{i}")).status_code for i in range(5)]
    assert codes == [200] * 5  # answered, so Telegram does not deliver them again
    assert telegram.agent.texts() == ["m0", "m1"]
    told = [body for body in telegram.api.sent if body.get("text") == channel_messages()["rate_limited"]]
    assert len(told) == 1


def test_each_refusal_is_counted_with_its_reason_and_a_message_with_its_channel(serve_channels, telegram_env, limits):
    from tests.metrics_reading import Snapshot

    limits(messages_per_minute=1)
    telegram = Telegram(serve_channels(TelegramChannel.from_credentials(None)), telegram_env)
    snapshot = Snapshot()
    assert telegram.post(updates.text_update(42, "你好"), secret="wrong-secret").status_code == 403
    assert telegram.post_raw(b"{not json").status_code == 400
    assert telegram.post(updates.text_update(42, "长" * (get_settings().max_webhook_bytes // 3 + 10))).status_code == 413
    assert telegram.post(updates.text_update(42, "你好")).status_code == 200
    assert telegram.post(updates.text_update(42, "太快了")).status_code == 200  # over the limit: "slow down"
    assert telegram.agent.texts() == ["你好"]

    def rejected(reason: str) -> float:
        return snapshot.delta("okpay_webhook_rejections_total", channel="telegram", reason=reason)

    assert [rejected(reason) for reason in ("bad_signature", "bad_payload", "too_large", "rate_limited")] == [1, 1, 1, 1]
    assert snapshot.delta("okpay_messages_total", channel="telegram") == 1
