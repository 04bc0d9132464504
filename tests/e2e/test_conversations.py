"""Whole conversations through the REST channel, with the real model and actions."""
import sqlite3

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_greeting(chat):
    assert chat.texts("你好") == chat.responses("utter_greet")


def test_payment_guide_one_step_at_a_time_until_solved(chat):
    replies = chat.say("付款一直失败")
    assert [r["text"] for r in replies] == chat.responses(
        "utter_guide_payment_failed_intro", "utter_guide_payment_failed_1", "utter_ask_guide_helped"
    )
    assert [b["title"] for b in replies[-1]["buttons"]] == ["解决了", "没解决", "转人工"]
    assert chat.texts("/deny") == chat.responses("utter_guide_payment_failed_2", "utter_ask_guide_helped")
    assert chat.texts("还是不行") == chat.responses("utter_guide_payment_failed_3", "utter_ask_guide_helped")
    assert chat.texts("解决了") == chat.responses("utter_guide_solved")
    assert chat.tracker()["slots"]["guide"] is None


def test_steps_already_done_are_skipped(chat):
    assert chat.texts("付款失败，网络没问题") == chat.responses(
        "utter_guide_payment_failed_intro",
        "utter_guide_skipped",
        "utter_guide_payment_failed_2",
        "utter_ask_guide_helped",
    )
    assert chat.texts("我已经重启过了") == chat.responses("utter_guide_step_noted", "utter_ask_guide_helped")
    chat.say("没解决")  # step 3
    assert chat.texts("没解决") == chat.responses(
        "utter_guide_skipped", "utter_guide_payment_failed_5", "utter_ask_guide_helped"
    )


def test_leave_the_guide_for_a_question_and_come_back(chat):
    chat.say("账户被锁了怎么办")
    chat.say("没解决")  # step 2
    replies = chat.texts("转账手续费是多少")
    assert replies == [
        chat.response("utter_faq/fees"),
        chat.response("utter_guide_paused", guide_title="账户被锁定"),
    ]
    assert chat.texts("继续刚才的步骤") == chat.responses("utter_guide_account_locked_2", "utter_ask_guide_next")


def test_not_solved_to_the_end_points_to_people(chat):
    chat.say("买的东西想退款")
    chat.say("没解决")
    chat.say("没解决")
    assert chat.texts("还是没解决") == chat.responses("utter_guide_exhausted")
    assert chat.texts("转人工") == chat.responses("utter_handoff_start", "utter_ask_ticket_contact")


def test_procedure_walks_with_next(chat):
    replies = chat.say("提现怎么操作")
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/continue_guide", "/affirm", "/human_handoff"]
    assert chat.texts("/continue_guide") == chat.responses("utter_guide_withdraw_2", "utter_ask_guide_next")


def test_traditional_chinese_is_understood(chat):
    assert chat.texts("帳戶被鎖了怎麼辦")[0] == chat.response("utter_guide_account_locked_intro")


def test_two_misunderstandings_in_a_row_hand_over_to_a_person(chat):
    first = chat.say("/nlu_fallback")
    assert first[0]["text"] == chat.response("utter_ask_rephrase")
    assert len(first[0]["buttons"]) == 3
    second = chat.texts("/nlu_fallback")
    assert second == chat.responses("utter_fallback_handoff", "utter_ask_ticket_contact")


def test_out_of_scope_says_what_the_assistant_does(chat):
    assert chat.texts("你们贷款利息多少") == chat.responses("utter_out_of_scope")


def test_entities_reach_the_slots(chat):
    chat.say("昨天下午3点提现了五百块到现在还没到账")
    slots = chat.tracker()["slots"]
    assert slots["amount"] == "500"
    assert slots["txn_time"] == "昨天下午3点"
    assert slots["guide"] == "withdraw_not_arrived"


@pytest.mark.parametrize("text", ["", "😂😂😂", "付款失败" * 5000, "<script>alert(1)</script>", "\u0000\u200b"])
def test_odd_messages_get_an_answer(chat, text):
    assert chat.say(text), "the assistant stayed silent"


def test_malformed_json_is_refused_and_nothing_stored_is_lost(chat, stack):
    chat.say("你好")
    before = len(chat.tracker()["events"])
    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert 400 <= response.status_code < 500
    assert len(chat.tracker()["events"]) == before


def test_the_http_api_needs_the_token(chat, stack):
    chat.say("你好")
    response = requests.get(f"{stack.rasa_url}/conversations/{chat.conversation}/tracker", timeout=10)
    assert response.status_code in (401, 403)


def test_conversations_are_stored_in_sqlite(chat, stack):
    chat.say("你好")
    database = stack.settings.resolve(stack.settings.tracker_db)
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "select count(*) from events where sender_id = ?", (chat.conversation,)
        ).fetchone()[0]
    assert rows > 0
