"""Each record is one JSON line with the documented fields and nothing else; text lines carry the same."""
from __future__ import annotations

import io
import logging
import re

from bot.logs.context import log_scope
from bot.logs.formatting import iso_utc
from bot.logs.hashing import conversation_hash
from bot.logs.setup import make_handler
from bot.settings import get_settings

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_a_line_has_the_documented_fields_in_order(lines):
    with log_scope("telegram:4242", request_id="abc-123"):
        lines.logger.info("工单 %s 已创建", "OK-20261121-0007", extra={"text": "extras are never written"})
    lines.logger.warning("outside a turn")
    first, second = lines.read()
    assert list(first) == ["timestamp", "level", "process", "logger", "event", "conversation", "request_id"]
    assert ISO_UTC.match(first["timestamp"])
    assert first == {**first, "level": "INFO", "process": "tests-1", "logger": "tests.logs.sample",
                     "event": "工单 OK-20261121-0007 已创建", "conversation": conversation_hash("telegram:4242"),
                     "request_id": "abc-123"}
    assert list(second) == ["timestamp", "level", "process", "logger", "event"]
    assert "extras" not in lines.raw() and len(lines.raw().splitlines()) == 2  # one line each, even in Chinese


def test_timestamps_are_utc():
    assert iso_utc(0.5) == "1970-01-01T00:00:00.500Z"


def test_the_text_format_carries_the_same_fields_for_a_person(hash_key, monkeypatch):
    stream = io.StringIO()
    handler = make_handler("console", stream, get_settings().copy(update={"log_format": "text"}))
    record = logging.LogRecord("bot.console", logging.WARNING, __file__, 1, "queue is %d long", (31,), None)
    with log_scope("wechat:o-1"):
        handler.handle(record)
    line = stream.getvalue()
    assert re.match(r"^\S+Z WARNING console bot\.console \[conversation=[0-9a-f]{16}\] queue is 31 long\n$", line)


def test_the_process_name_comes_from_the_setting_when_set(hash_key, monkeypatch):
    stream = io.StringIO()
    settings = get_settings().copy(update={"log_format": "json", "process_name": "actions-2"})
    make_handler("actions", stream, settings).handle(
        logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None))
    assert '"process": "actions-2"' in stream.getvalue()
