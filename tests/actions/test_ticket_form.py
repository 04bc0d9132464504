"""The ticket form reads contacts, times, amounts and descriptions, re-asks and cancels."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from bot.actions.ticket_form import SKIPPED, ValidateTicketForm, parse_amount, parse_contact, parse_txn_time
from tests.conftest import slots_of, uttered

FORM = {"name": "ticket_form"}



def answer(make_tracker, dispatcher, domain, text, requested, intent="out_of_scope", **slots):
    tracker = make_tracker(text=text, intent=intent, slots={"requested_slot": requested, **slots}, active_loop=FORM)
    return asyncio.run(ValidateTicketForm().run(dispatcher, tracker, domain))


@pytest.mark.parametrize(
    ("text", "contact"),
    [
        ("13812345678", "13812345678"),
        ("我的手机是 138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("Zhang.San@Example.com", "zhang.san@example.com"),
        ("邮箱：ｍｅ＠ｑｑ．ｃｏｍ", "me@qq.com"),
    ],
)
def test_contacts_are_phones_or_emails(text, contact):
    assert parse_contact(text) == contact


@pytest.mark.parametrize("text", ["12345", "我不想给", "abc@", "23812345678", ""])
def test_anything_else_is_not_a_contact(text):
    assert parse_contact(text) is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [("五百块", "500.00"), ("¥500", "500.00"), ("500元", "500.00"), ("500", "500.00"), ("两千五", "2500.00"),
     ("大概1,200.5元吧", "1200.50")],
)
def test_amounts_in_the_ways_people_write_them(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["很多钱", "abc", "-50", "0", "999999999999"])
def test_not_an_amount(text):
    assert parse_amount(text) is None


def test_times_keep_the_words_said():
    assert parse_txn_time("上周末") == "上周末"
    assert parse_txn_time("应该是昨天晚上8点左右") == "应该是昨天晚上8点左右"
    long = "我也记不太清楚了，反正就是昨天晚上8点左右吧，那时候我在超市排队付款"
    assert parse_txn_time(long) == "昨天晚上8点"


def test_a_valid_contact_fills_the_slot(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "13812345678", "ticket_contact")
    assert slots_of(events)["ticket_contact"] == "13812345678"
    assert uttered(dispatcher) == []


def test_a_wrong_contact_gets_a_clear_re_ask(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "12345", "ticket_contact")
    assert slots_of(events)["ticket_contact"] is None
    assert uttered(dispatcher) == ["utter_ticket_contact_invalid"]


def test_the_contact_cannot_be_skipped(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "跳过", "ticket_contact")
    assert slots_of(events)["ticket_contact"] is None
    assert uttered(dispatcher) == ["utter_ticket_contact_required"]


def test_optional_fields_accept_skip(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "不记得了", "ticket_txn_time", ticket_contact="13812345678")
    assert slots_of(events)["ticket_txn_time"] == SKIPPED
    events = answer(make_tracker, dispatcher, domain, "跳过", "ticket_amount")
    assert slots_of(events)["ticket_amount"] == SKIPPED


def test_a_wrong_amount_gets_a_re_ask(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "很多钱", "ticket_amount")
    assert slots_of(events)["ticket_amount"] is None
    assert uttered(dispatcher) == ["utter_ticket_amount_invalid"]


def test_an_amount_is_stored_normalised(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "五百块", "ticket_amount")
    assert slots_of(events)["ticket_amount"] == "500"


def test_a_huge_description_is_cut_and_the_user_told(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "付款失败" * 2000, "ticket_description")
    assert len(slots_of(events)["ticket_description"]) == 1000
    assert uttered(dispatcher) == ["utter_ticket_description_shortened"]


@pytest.mark.parametrize(("text", "intent"), [("取消", "cancel"), ("算了不弄了", "deny"), ("不要了", "cancel")])
def test_cancel_ends_the_form(make_tracker, dispatcher, domain, text, intent):
    events = answer(make_tracker, dispatcher, domain, text, "ticket_amount", intent=intent)
    assert slots_of(events) == {"ticket_cancelled": True, "requested_slot": None}


def test_categories_without_money_ask_only_contact_and_description(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "13812345678", "ticket_contact", ticket_category="reset_password")
    assert slots_of(events)["requested_slot"] == "ticket_description"


def test_nothing_is_read_from_the_message_that_opened_the_form(make_tracker, dispatcher, domain):
    events = answer(make_tracker, dispatcher, domain, "转人工 13812345678", None, intent="human_handoff")
    assert "ticket_contact" not in slots_of(events)
