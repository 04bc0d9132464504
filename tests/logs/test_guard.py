"""No log line shows a user's text, a secret, a token in a URL or a raw conversation id; no record is lost."""
from __future__ import annotations

import json
import logging

import pytest

from bot.logs.context import log_scope
from bot.logs.guard import MAX_ERROR_CHARS, MAX_EVENT_CHARS, LogGuard, clean_text
from bot.logs.hashing import conversation_hash

CARD = "6222020200112233445"
PASSWORD = "Hunter2pass"
TELEGRAM_TOKEN = "123456789:AAFakeTelegramTokenabcdefghijklmnopqrstuv"
TEXT = "付款失败了 zxqvbn-distinct-words"
SENDER = "rest:distinct-sender-77"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLWhlcmU"
SECRETS = (CARD, PASSWORD, TELEGRAM_TOKEN, "AAFakeTelegramToken", JWT, "distinct-sender-77")


def assert_clean(raw: str) -> None:
    for secret in SECRETS:
        assert secret not in raw


def test_an_exception_carrying_secrets_is_logged_without_them(lines):
    try:
        raise ValueError(f"send failed: https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage?chat_id=42 "
                         f"卡号{CARD} 密码是{PASSWORD} Authorization: Bearer {JWT} for {SENDER}")
    except ValueError:
        lines.logger.exception("delivery failed")
    raw = lines.raw()
    assert_clean(raw)
    [line] = lines.read()
    assert line["event"] == "delivery failed" and line["level"] == "ERROR"
    assert "ValueError: send failed: https://api.telegram.org/bot123456789:***/sendMessage***" in line["error"]
    assert "卡号[已隐藏]" in line["error"] and "Bearer ***" in line["error"]
    assert "conv:" + conversation_hash(SENDER) in line["error"]  # a conversation id becomes its hash


def test_an_exception_inside_a_turn_loses_the_turn_s_text_even_without_secrets(lines):
    with log_scope(SENDER, private=[TEXT]):
        try:
            raise KeyError(TEXT)
        except KeyError:
            lines.logger.warning("could not read %r", TEXT, exc_info=True)
    raw = lines.raw()
    assert "zxqvbn" not in raw and "distinct-sender-77" not in raw
    [line] = lines.read()
    assert line["conversation"] == conversation_hash(SENDER)
    assert "KeyError" in line["error"]


@pytest.mark.parametrize("message", [
    f"Received user message '{TEXT}' with intent '{{'name': 'payment'}}' and entities '[]'",
    f"Validating extracted slots: {{'problem': '{TEXT}'}}",
    f"Contents of ignored event: '{{'event': 'slot', 'value': '{TEXT}'}}'",
    f"The execution of 'action_extract_slots' resulted in these events: SlotSet(problem: {TEXT}).",
])
def test_library_lines_known_to_quote_a_text_lose_it_even_outside_a_turn(lines, message):
    lines.logger.debug(message)
    [line] = lines.read()
    assert "zxqvbn" not in line["event"] and "[text not logged]" in line["event"]


def test_rasa_s_structured_lines_keep_their_event_name_and_no_values(lines):
    lines.logger.debug(json.dumps({"event": "processor.message.parse", "parse_data_text": TEXT,
                                   "parse_data_entities": [{"value": CARD}], "action_name": "action_guide_start",
                                   "level": "debug"}))
    [line] = lines.read()
    assert line["event"] == "processor.message.parse action_name=action_guide_start"


def test_the_turn_s_text_is_hidden_in_any_line_and_as_json_escapes_it(lines):
    with log_scope(SENDER, request_id="req-1", private=[TEXT]):
        lines.logger.debug("payload %s", json.dumps({"text": TEXT}))
        lines.logger.debug("repr %r; raw %s; user part %s", TEXT, TEXT, "distinct-sender-77")
    raw = lines.raw()
    assert "zxqvbn" not in raw and "\\u4ed8" not in raw and "distinct-sender-77" not in raw
    assert all(line["request_id"] == "req-1" for line in lines.read())


def test_conversation_ids_outside_a_turn_become_their_hash(lines):
    lines.logger.info("the turn of %s failed; %s too", "wechat:oABC-openid_1", "widget:u:visitor-9")
    [line] = lines.read()
    assert "oABC" not in line["event"] and "visitor-9" not in line["event"]
    assert line["event"] == (f"the turn of conv:{conversation_hash('wechat:oABC-openid_1')} failed; "
                             f"conv:{conversation_hash('widget:u:visitor-9')} too")
    assert "conversation" not in line  # no scope: no field


@pytest.mark.parametrize("dirty, clean", [
    ("GET http://h/webhooks/wechat/webhook?signature=abc&openid=oX1 200", "GET http://h/webhooks/wechat/webhook*** 200"),
    ("postgresql://okpay:pg-pass-123@db/okpay", "postgresql://okpay:***@db/okpay"),
    ("token=abcdef123456 and secret: 'xyz987654'", "token=*** and secret: '***'"),
    (f"bot token {TELEGRAM_TOKEN}", "bot token ***"),
    (f"jwt {JWT}", "jwt ***"),
    ("密码是Hunter2pass", "密码是[已隐藏]"),
])
def test_urls_named_secrets_and_tokens_are_masked(hash_key, dirty, clean):
    from bot.logs.context import current_scope

    assert clean_text(dirty, current_scope()) == clean


def test_the_value_of_a_secret_setting_is_masked_wherever_it_appears(lines, monkeypatch):
    guard = LogGuard(secrets=lambda: ["rasa-api-token-0123456789"])
    lines.handler.filters = [guard]
    lines.logger.info("calling with rasa-api-token-0123456789 in a header")
    assert "rasa-api-token" not in lines.raw()


def test_every_secret_setting_s_value_is_one_the_guard_masks(monkeypatch):
    """The guard's list is the settings' own (`bot.settings.SECRET_SETTINGS`): a secret added there is masked too."""
    from bot.logs.guard import secret_settings
    from bot.settings import SECRET_SETTINGS, reset_settings_cache

    values = {name: f"{name}-value-0123456789abcdef" for name in SECRET_SETTINGS}
    for name, value in values.items():
        monkeypatch.setenv(f"OKPAY_{name.upper()}", value)
    reset_settings_cache()
    try:
        assert set(secret_settings()) == set(values.values())
        assert "metrics_token" in SECRET_SETTINGS
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_every_setting_named_like_a_secret_is_listed_as_one():
    from bot.settings import CONNECTION_SETTINGS, SECRET_SETTINGS, Settings

    named = {name for name in Settings.__fields__ if name.endswith(("_token", "_secret", "_password", "_key"))}
    assert named - SECRET_SETTINGS == set()
    assert CONNECTION_SETTINGS <= set(Settings.__fields__) and SECRET_SETTINGS <= set(Settings.__fields__)


def test_long_messages_and_tracebacks_are_capped_and_a_broken_record_still_logs(lines):
    lines.logger.info("x" * (MAX_EVENT_CHARS * 3))
    lines.logger.info("%d apples", "not a number")  # a bad format: the line is kept, not raised
    try:
        raise RuntimeError("y" * (MAX_ERROR_CHARS * 2))
    except RuntimeError:
        lines.logger.exception("boom")
    long, broken, boom = lines.read()
    assert len(long["event"]) == MAX_EVENT_CHARS
    assert broken["event"] == "%d apples"
    assert len(boom["error"]) <= MAX_ERROR_CHARS + 1 and boom["error"].endswith("y")


def test_sanic_s_access_line_is_method_path_and_status_only(lines):
    record = logging.LogRecord("sanic.access", logging.INFO, __file__, 1, "", (), None)
    record.request, record.status, record.byte, record.host = (
        f"POST http://h/webhooks/telegram/webhook?token={TELEGRAM_TOKEN}", 200, 12, "1.2.3.4:5")
    lines.handler.handle(record)
    [line] = lines.read()
    assert line["event"] == "POST http://h/webhooks/telegram/webhook*** 200"
    assert "1.2.3.4" not in lines.raw()  # extras are not written
