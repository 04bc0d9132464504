"""`python -m bot.privacy.forget`: a user's whole journey leaves every store; counts and other users stay.

Every store is read back raw afterwards (every table of both databases, the
event stream, every Redis key and value), on SQLite (embedded) and on
PostgreSQL with Redis (replicated). The test against a running Rasa that keeps
the user's tracker in memory is tests/e2e/test_forget_live.py.
"""
from __future__ import annotations

import asyncio
import json

import pytest

from bot.privacy import forget as forget_module
from bot.privacy.forget import AmbiguousSender, UnknownSender, candidates, forget, resolve
from bot.settings import reset_settings_cache
from tests.store_world import (
    anonymous_counts,
    deployment_settings,
    everything_stored,
    open_tickets,
    redis_marks,
    say,
    settings_in_environment,
    tickets_of,
)

OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
USER = f"wechat:{OPENID}"
PHONE, EMAIL = "13812345678", "zhang.wei@example.com"
WORDS = "张伟的提现一直没到账"
OTHER = "telegram:5550001"
OTHER_PHONE, OTHER_WORDS = "13999990000", "李娜付款失败了"


@pytest.fixture
def world(store_deployment):
    settings = store_deployment
    say(settings, USER, [f"我的电话是{PHONE}", f"邮箱{EMAIL}", WORDS])
    say(settings, OTHER, [f"电话{OTHER_PHONE}", OTHER_WORDS])
    open_tickets(settings, USER, PHONE, EMAIL, WORDS)
    open_tickets(settings, OTHER, OTHER_PHONE, "li.na@example.com", OTHER_WORDS)
    if settings.redis_url:
        redis_marks(settings, USER, WORDS)
        redis_marks(settings, OTHER, OTHER_WORDS)
    return settings


def test_forget_leaves_no_trace_of_the_user_in_any_store_and_keeps_the_counts(world):
    before_everything, counts = everything_stored(world), anonymous_counts(world)
    for trace in (OPENID, PHONE, EMAIL, WORDS):
        assert trace in before_everything, trace  # the test's world holds them: the check below can fail

    forgotten = asyncio.run(forget(world, resolve(world, OPENID, "wechat")))

    stored = everything_stored(world)
    for trace in (OPENID, PHONE, EMAIL, WORDS, "zhang.wei"):
        assert trace not in stored, f"{trace!r} is still stored"
    assert anonymous_counts(world) == counts
    for trace in (OTHER, OTHER_PHONE, OTHER_WORDS, "li.na@example.com"):
        assert trace in stored, f"another user's {trace!r} was removed"
    assert forgotten.tracker_events == 12 and forgotten.tickets.tickets == 2 and forgotten.tickets.cancelled == 1
    assert forgotten.stream_entries == 12 and forgotten.review_items == 1
    assert forgotten.tickets.rating_comments == 1 and forgotten.tickets.notes == 1
    assert forgotten.redis_keys == (4 if world.redis_url else 0)
    assert len(tickets_of(world, OTHER)) == 2


def test_forgetting_again_removes_nothing_more(world):
    asyncio.run(forget(world, [USER]))
    again = asyncio.run(forget(world, [USER]))
    assert (again.tracker_events, again.stream_entries, again.tickets.tickets, again.review_items,
            again.redis_keys) == (0, 0, 0, 0, 0)


def test_the_command_prints_counts_and_nothing_of_the_user(world, monkeypatch, capsys):
    settings_in_environment(world, monkeypatch)
    reset_settings_cache()
    try:
        assert forget_module.main(["--sender", USER]) == 0
        out = capsys.readouterr().out
        assert "tracker store: 12 events removed" in out and "tickets: 2 anonymised (1 cancelled)" in out
        assert OPENID not in out and PHONE not in out
        assert forget_module.main(["--sender", OTHER, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["tracker_events"] == 8
    finally:
        reset_settings_cache()


@pytest.mark.parametrize("given, channel, meant", [
    ("wechat:o1", None, ["wechat:o1"]),
    ("o1", "wechat", ["wechat:o1"]),
    ("5550001", "telegram", ["telegram:5550001"]),
    ("u-1001", "widget", ["widget:u:u-1001"]),
    ("widget:a:3f9c", None, ["widget:a:3f9c"]),
    ("widget:a:3f9c", "widget", ["widget:a:3f9c"]),
    ("alice", "rest", ["rest:alice"]),
])
def test_the_sender_is_what_an_operator_has(given, channel, meant):
    assert candidates(given, channel) == meant


@pytest.mark.parametrize("given, channel", [
    ("wechat:o1", "telegram"), ("../etc/passwd", None), ("o1 o2", "wechat"), ("wechat:", None), ("", None),
    ("a%2Fb", "rest"), ("x" * 129, "rest"),
])
def test_ids_no_channel_hands_out_are_refused(given, channel):
    with pytest.raises(UnknownSender):
        candidates(given, channel)


def test_a_bare_id_is_looked_up_and_refused_when_two_channels_have_it(tmp_path, capsys, monkeypatch):
    with deployment_settings("sqlite", tmp_path) as settings:
        say(settings, "rest:7", ["你好"])
        assert resolve(settings, "7") == ["rest:7"]
        assert resolve(settings, "8") == []
        say(settings, "telegram:7", ["你好"])
        with pytest.raises(AmbiguousSender, match="telegram, rest"):
            resolve(settings, "7")
        monkeypatch.setenv("OKPAY_TRACKER_DB", str(settings.tracker_db))
        monkeypatch.setenv("OKPAY_TICKET_DB", str(settings.ticket_db))
        reset_settings_cache()
        try:
            assert forget_module.main(["--sender", "7"]) == 2
            assert "name one with --channel" in capsys.readouterr().err
        finally:
            reset_settings_cache()
        assert resolve(settings, "7", "telegram") == ["telegram:7"]
