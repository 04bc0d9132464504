"""What a reply to a guide's step means (bot/guides/replies.py), without a model."""
import pytest

from bot.content.catalog import load_guides
from bot.guides.progress import Position
from bot.guides.replies import (
    ALREADY_DONE,
    CONFIRM,
    DONE,
    HANDOFF,
    JUMP,
    NEXT,
    NOT_SOLVED,
    QUESTION,
    SOLVED,
    STUCK,
    UNCLEAR,
    Reply,
    classifier_guess,
    interpret,
    load_reply_patterns,
    says_solved,
)


def at(guide: str, step: int) -> Position:
    return Position(load_guides()[guide], step)


@pytest.mark.parametrize("guide, text", [
    ("payment_failed", "解决了"), ("payment_failed", "好了 能付了"), ("payment_failed", "搞定啦"),
    ("payment_failed", "問題解決了"), ("payment_failed", "付款成功了"), ("payment_failed", "ok了"),
    ("account_locked", "可以登录了，谢谢"), ("account_locked", "登进去了"),
    ("withdraw_not_arrived", "钱到账了"), ("refund", "商家把钱退回来了"),
])
def test_explicit_solved(guide, text):
    assert interpret(at(guide, 2), text, "affirm", 0.9) == Reply(SOLVED)


def test_what_solves_one_guide_is_a_step_done_in_another():
    """"登上了" unlocks a locked account, but is only the first step of a withdrawal."""
    assert interpret(at("account_locked", 1), "登上了", "affirm", 0.9) == Reply(SOLVED)
    assert interpret(at("withdraw", 1), "登上了", "affirm", 0.9) == Reply(DONE)
    # A withdrawal shown as successful is not money on the card.
    assert interpret(at("withdraw_not_arrived", 2), "看了 显示提现成功", "affirm", 0.9).kind != SOLVED


def test_a_person_asked_for_inside_a_reply_hands_over():
    assert interpret(at("reset_password", 3), "收不到邮件 别让我等了 转人工", "cancel", 0.7) == Reply(HANDOFF)


@pytest.mark.parametrize("text", ["没解决", "还是不行", "试了还是付不了", "没用啊", "还没到账呢", "不行"])
def test_not_solved_even_when_it_contains_a_solved_word(text):
    assert interpret(at("payment_failed", 2), text, "deny", 0.9) == Reply(NOT_SOLVED)


@pytest.mark.parametrize("text, intent", [
    ("我用的手机流量，信号满格", "affirm"),
    ("wifi很稳定的", "affirm"),
    ("网络没问题", "already_tried"),
    ("刚刚重启过了", "affirm"),
])
def test_a_described_check_is_never_solved(text, intent):
    assert interpret(at("payment_failed", 1), text, intent, 0.95) == Reply(ALREADY_DONE)


def test_no_code_is_stuck_only_at_a_step_that_sends_one():
    assert interpret(at("account_locked", 3), "验证码没收到", "reset_password", 0.97) == Reply(STUCK)
    assert interpret(at("reset_password", 3), "邮件一直没来", None, 0.0) == Reply(STUCK)
    # At the network step the same words are not about the step.
    assert interpret(at("payment_failed", 1), "验证码没收到", "reset_password", 0.97) is None


def test_cannot_find_the_menu_is_stuck_where_a_step_names_one():
    assert interpret(at("change_password", 2), "找不到安全设置", "faq", 0.7) == Reply(STUCK)
    assert interpret(at("withdraw", 2), "提现按钮在哪啊", "withdraw", 0.9) == Reply(STUCK)
    assert interpret(at("withdraw", 2), "提现那里是灰的点不了", "withdraw", 0.9) == Reply(STUCK)


def test_a_step_of_its_own_way_of_being_stuck():
    assert interpret(at("reset_password", 2), "注册的邮箱早就不用了", "reset_password", 0.9) == Reply(STUCK)


def test_a_situation_another_step_is_about_jumps_there():
    reply = interpret(at("payment_failed", 1), "钱已经扣了商家说没收到", "payment_failed", 0.9)
    assert reply == Reply(JUMP, 5)
    assert interpret(at("payment_failed", 1), "余额不够", "payment_failed", 0.8) == Reply(JUMP, 2)


def test_the_same_problem_again_is_not_solved_and_another_topic_is_not_a_reply():
    assert interpret(at("payment_failed", 2), "还是付不了款", "payment_failed", 0.9) == Reply(NOT_SOLVED)
    assert interpret(at("payment_failed", 2), "付款页面转圈", "payment_failed", 0.9) == Reply(NOT_SOLVED)
    assert interpret(at("payment_failed", 2), "提现手续费多少", "faq", 0.9) is None
    assert interpret(at("payment_failed", 2), "另外 我的退款还没到", "refund", 0.5) is None


def test_a_question_about_the_step_gets_its_help():
    assert interpret(at("withdraw", 6), "要等多久？", "nlu_fallback", 0.3) == Reply(QUESTION)
    assert interpret(at("withdraw_not_arrived", 1), "周末算不算工作日呢", None, 0.0) == Reply(QUESTION)


def test_ok_means_done_in_a_procedure_and_is_asked_about_after_did_it_help():
    assert interpret(at("withdraw", 3), "好的", "affirm", 0.9) == Reply(DONE)
    assert interpret(at("withdraw", 3), "好了", "affirm", 0.9) == Reply(DONE)
    assert interpret(at("payment_failed", 3), "好的", "affirm", 0.9) == Reply(CONFIRM)
    assert interpret(at("payment_failed", 3), "好了", "affirm", 0.9) == Reply(SOLVED)


def test_buttons_mean_what_they_say():
    assert interpret(at("payment_failed", 3), "/affirm", "affirm", 1.0) == Reply(SOLVED)
    assert interpret(at("payment_failed", 3), "/deny", "deny", 1.0) == Reply(NOT_SOLVED)
    assert interpret(at("withdraw", 3), "/continue_guide", "continue_guide", 1.0) == Reply(NEXT)
    assert interpret(at("withdraw", 3), "/human_handoff", "human_handoff", 1.0) is None


def test_unreadable_words_ask_again_and_weak_guesses_of_another_topic_are_left_alone():
    assert interpret(at("payment_failed", 3), "额额额", None, 0.0) == Reply(UNCLEAR)
    assert interpret(at("payment_failed", 3), "退款的事情", "refund", 0.4) is None


def test_before_the_first_step_nothing_is_a_reply():
    assert interpret(at("payment_failed", 0), "好的", "affirm", 0.9) is None


def test_negation_right_before_solved():
    patterns = load_reply_patterns()
    assert says_solved("解决了", patterns)
    assert not says_solved("没解决了", patterns)
    assert not says_solved("还不能用了", patterns)


def test_classifier_guess_looks_past_the_fallback():
    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.4},
             "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "refund", "confidence": 0.35}]}
    assert classifier_guess(parse) == ("refund", 0.35)
    assert classifier_guess({}) == (None, 0.0)
