import pytest

from bot.actions.guide_actions import ActionGuideAdvance, ActionGuideReminder, ActionGuideStart
from tests.conftest import action_event, slots_of, user_event, uttered


def guide_slots(guide="payment_failed", step=1, done=(), active=True):
    return {"guide": guide, "guide_step": float(step), "guide_done_steps": list(done), "guide_active": active}


def run_start(make_tracker, dispatcher, text, intent, slots=None):
    tracker = make_tracker(text=text, intent=intent, slots=slots)
    return ActionGuideStart().run(dispatcher, tracker, {})


def run_advance(make_tracker, dispatcher, text, intent, slots, events=None):
    tracker = make_tracker(text=text, intent=intent, slots=slots, events=events)
    return ActionGuideAdvance().run(dispatcher, tracker, {})


def test_start_introduces_the_guide_and_shows_step_one(make_tracker, dispatcher):
    events = run_start(make_tracker, dispatcher, "付款失败了", "payment_failed")
    assert uttered(dispatcher) == [
        "utter_guide_payment_failed_intro",
        "utter_guide_payment_failed_1",
        "utter_ask_guide_helped",
    ]
    slots = slots_of(events)
    assert slots["guide"] == "payment_failed"
    assert slots["guide_step"] == 1.0
    assert slots["guide_active"] is True
    assert slots["guide_title"] == "支付失败"


def test_start_skips_what_the_user_already_checked(make_tracker, dispatcher):
    events = run_start(make_tracker, dispatcher, "付不了款，網絡沒問題", "payment_failed")
    assert uttered(dispatcher)[1:] == [
        "utter_guide_skipped",
        "utter_guide_payment_failed_2",
        "utter_ask_guide_helped",
    ]
    assert slots_of(events)["guide_done_steps"] == ["network"]


def test_a_procedure_asks_for_next_instead_of_helped(make_tracker, dispatcher):
    run_start(make_tracker, dispatcher, "怎么提现", "withdraw")
    assert uttered(dispatcher)[-1] == "utter_ask_guide_next"


def test_the_same_problem_again_inside_its_guide_means_not_solved(make_tracker, dispatcher):
    events = run_start(make_tracker, dispatcher, "还是付不了款", "payment_failed", guide_slots(step=2))
    assert uttered(dispatcher) == ["utter_guide_payment_failed_3", "utter_ask_guide_helped"]
    assert slots_of(events)["guide_step"] == 3.0


def test_another_problem_replaces_the_guide(make_tracker, dispatcher):
    events = run_start(make_tracker, dispatcher, "退款怎么弄", "refund", guide_slots(step=2))
    assert uttered(dispatcher)[0] == "utter_guide_refund_intro"
    assert slots_of(events)["guide"] == "refund"


def test_start_without_a_guide_intent_says_it_cannot_help(make_tracker, dispatcher):
    assert run_start(make_tracker, dispatcher, "你好", "greet") == []
    assert uttered(dispatcher) == ["utter_default"]


def test_solved_closes_a_troubleshooting_guide(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "解决了", "affirm", guide_slots(step=1))
    assert uttered(dispatcher) == ["utter_guide_solved"]
    assert slots_of(events) == {
        "guide": None, "guide_step": None, "guide_done_steps": None, "guide_active": False, "guide_title": None,
    }


#: The events of a turn in which the guide showed a step and listened.
AFTER_A_STEP = [action_event("action_guide_advance"), action_event("action_listen")]


def test_solved_in_a_procedure_leaves_the_rest_resumable(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "解决了", "affirm", guide_slots("withdraw", step=2), AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_solved_procedure"]
    assert slots_of(events) == {"guide_active": False}


def test_done_with_a_procedure_step_shows_the_next_one(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "好了", "affirm", guide_slots("withdraw", step=2), AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_withdraw_3", "utter_ask_guide_next"]
    assert slots_of(events)["guide_step"] == 3.0


def test_a_described_check_is_not_solved(make_tracker, dispatcher):
    """"mobile data, full signal" after the network step: the network is fine, the problem is not solved."""
    events = run_advance(make_tracker, dispatcher, "我用的手机流量，信号满格", "affirm", guide_slots(step=1),
                         AFTER_A_STEP)
    assert "utter_guide_solved" not in uttered(dispatcher)
    assert uttered(dispatcher)[-2:] == ["utter_guide_payment_failed_2", "utter_ask_guide_helped"]
    assert "network" in slots_of(events)["guide_done_steps"]


def test_a_plain_ok_after_did_it_help_is_asked_about(make_tracker, dispatcher):
    assert run_advance(make_tracker, dispatcher, "嗯嗯好的", "affirm", guide_slots(step=2), AFTER_A_STEP) == []
    assert uttered(dispatcher) == ["utter_guide_confirm_solved"]


def test_no_code_at_the_step_that_sends_one_gets_its_help(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "验证码一直没来", "reset_password",
                         guide_slots("account_locked", step=3), AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_account_locked_3_help", "utter_ask_guide_next"]
    assert events == []


def test_a_missing_reset_email_gets_the_step_help(make_tracker, dispatcher):
    run_advance(make_tracker, dispatcher, "邮件没收到啊", "nlu_fallback", guide_slots("reset_password", step=3),
                AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_reset_password_3_help", "utter_ask_guide_next"]


def test_cannot_find_the_menu_the_step_names(make_tracker, dispatcher):
    run_advance(make_tracker, dispatcher, "找不到安全设置在哪", "faq", guide_slots("change_password", step=2),
                AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_change_password_2_help", "utter_ask_guide_next"]


def test_a_charge_the_merchant_did_not_receive_goes_to_the_records_step(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "钱已经扣了，但是商家说没收到", "payment_failed",
                         guide_slots(step=1), AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_jump", "utter_guide_payment_failed_5", "utter_ask_guide_helped"]
    assert slots_of(events)["guide_step"] == 5.0


def test_words_it_cannot_read_ask_the_step_again(make_tracker, dispatcher):
    run_advance(make_tracker, dispatcher, "嗯嗯嗯啊", "nlu_fallback", guide_slots(step=2), AFTER_A_STEP)
    assert uttered(dispatcher) == ["utter_guide_unclear", "utter_ask_guide_helped"]


def test_not_solved_shows_the_next_step(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "没用", "deny", guide_slots(step=1))
    assert uttered(dispatcher) == ["utter_guide_payment_failed_2", "utter_ask_guide_helped"]
    assert slots_of(events)["guide_step"] == 2.0


def test_not_solved_after_the_last_step_points_to_people(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "还是不行", "deny", guide_slots(step=5))
    assert uttered(dispatcher) == ["utter_guide_exhausted"]
    assert slots_of(events)["guide_active"] is False


def test_already_done_skips_the_current_step(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "我已经重启过了", "already_tried", guide_slots(step=4))
    assert uttered(dispatcher) == [
        "utter_guide_skipped", "utter_guide_payment_failed_5", "utter_ask_guide_helped",
    ]
    assert "restart_app" in slots_of(events)["guide_done_steps"]


def test_already_done_for_a_later_step_is_noted(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "我已经重启过了", "already_tried", guide_slots(step=1))
    assert uttered(dispatcher) == ["utter_guide_step_noted", "utter_ask_guide_helped"]
    assert slots_of(events)["guide_step"] == 1.0
    assert slots_of(events)["guide_done_steps"] == ["restart_app"]


def test_continue_after_a_detour_shows_the_current_step_again(make_tracker, dispatcher):
    events = [
        action_event("action_guide_advance"),
        user_event("手续费多少", "faq"),
        action_event("utter_faq"),
        action_event("utter_guide_paused"),
        action_event("action_listen"),
        user_event("继续刚才的步骤", "continue_guide"),
    ]
    run_advance(make_tracker, dispatcher, "继续刚才的步骤", "continue_guide", guide_slots(step=3), events)
    assert uttered(dispatcher) == ["utter_guide_payment_failed_3", "utter_ask_guide_helped"]


def test_next_inside_a_procedure_moves_on(make_tracker, dispatcher):
    events = [action_event("action_guide_start"), action_event("action_listen"), user_event("下一步", "continue_guide")]
    run_advance(make_tracker, dispatcher, "下一步", "continue_guide", guide_slots("withdraw", step=1), events)
    assert uttered(dispatcher) == ["utter_guide_withdraw_2", "utter_ask_guide_next"]


def test_next_after_the_last_procedure_step_completes_it(make_tracker, dispatcher):
    events = [action_event("action_guide_advance"), action_event("action_listen"), user_event("下一步", "continue_guide")]
    result = run_advance(make_tracker, dispatcher, "下一步", "continue_guide", guide_slots("withdraw", step=7), events)
    assert uttered(dispatcher) == ["utter_guide_completed"]
    assert slots_of(result)["guide"] is None


@pytest.mark.parametrize(
    ("intent", "response"),
    [("affirm", "utter_anything_else"), ("deny", "utter_no_problem"), ("already_tried", "utter_ask_problem")],
)
def test_replies_outside_a_guide_get_a_plain_answer(make_tracker, dispatcher, intent, response):
    assert run_advance(make_tracker, dispatcher, "好的", intent, {}) == []
    assert uttered(dispatcher) == [response]


def test_replies_after_a_procedure_was_closed_do_not_move_it(make_tracker, dispatcher):
    run_advance(make_tracker, dispatcher, "没问题", "deny", guide_slots("withdraw", step=2, active=False))
    assert uttered(dispatcher) == ["utter_no_problem"]


def test_next_after_a_procedure_was_closed_resumes_it(make_tracker, dispatcher):
    events = [action_event("action_guide_advance"), action_event("action_listen"), user_event("下一步", "continue_guide")]
    run_advance(make_tracker, dispatcher, "下一步", "continue_guide", guide_slots("withdraw", step=2, active=False), events)
    assert uttered(dispatcher) == ["utter_guide_withdraw_3", "utter_ask_guide_next"]


def test_reminder_only_inside_a_guide(make_tracker, dispatcher):
    ActionGuideReminder().run(dispatcher, make_tracker(text="x", intent="faq", slots=guide_slots()), {})
    assert uttered(dispatcher) == ["utter_guide_paused"]
    idle = type(dispatcher)()
    ActionGuideReminder().run(idle, make_tracker(text="x", intent="faq", slots={}), {})
    assert idle.messages == []


def test_continue_without_a_guide_says_there_is_none(make_tracker, dispatcher):
    assert run_advance(make_tracker, dispatcher, "继续", "continue_guide", {}) == []
    assert uttered(dispatcher) == ["utter_no_guide"]


def test_an_unknown_guide_in_the_slots_is_treated_as_none(make_tracker, dispatcher):
    run_advance(make_tracker, dispatcher, "继续", "continue_guide", guide_slots("no_such_guide"))
    assert uttered(dispatcher) == ["utter_no_guide"]
    again = type(dispatcher)()
    run_advance(make_tracker, again, "没用", "deny", guide_slots("no_such_guide"))
    assert uttered(again) == ["utter_no_problem"]


def test_a_step_number_out_of_range_is_clamped(make_tracker, dispatcher):
    run_advance(make_tracker, dispatcher, "没用", "deny", guide_slots(step=99))
    assert uttered(dispatcher) == ["utter_guide_exhausted"]


def test_an_unsolved_guide_offers_a_person_and_keeps_the_steps(make_tracker, dispatcher):
    tracker = make_tracker(text="还是没到", intent="deny", slots={
        "guide": "withdraw_not_arrived", "guide_step": 3.0, "guide_done_steps": [], "guide_active": True})
    events = ActionGuideAdvance().run(dispatcher, tracker, {})
    slots = slots_of(events)
    assert dispatcher.messages[-1]["response"] == "utter_guide_exhausted"
    assert slots["last_guide"] == "withdraw_not_arrived"
    assert slots["last_guide_steps"] == ["working_days", "check_status", "check_card"]


def test_yes_to_the_offer_of_a_person_starts_the_ticket(make_tracker, dispatcher):
    events = [
        {"event": "user", "text": "还是没到", "parse_data": {"intent": {"name": "deny"}}},
        {"event": "action", "name": "action_guide_advance"},
        {"event": "bot", "text": "…", "metadata": {"utter_action": "utter_guide_exhausted"}},
        {"event": "action", "name": "action_listen"},
    ]
    tracker = make_tracker(text="好的", intent="affirm", events=events)
    assert ActionGuideAdvance().run(dispatcher, tracker, {}) == [
        {"event": "followup", "name": "action_prepare_ticket", "timestamp": None}
    ]


def test_asking_for_a_person_mid_guide_hands_over_with_the_guide_open(make_tracker, dispatcher):
    events = run_advance(make_tracker, dispatcher, "还是不行 直接给我转人工", "deny", guide_slots(step=3), AFTER_A_STEP)
    assert [e.get("name") for e in events if e.get("event") == "followup"] == ["action_prepare_ticket"]
    assert uttered(dispatcher) == []


def test_each_step_shown_and_each_end_of_a_guide_is_counted(make_tracker, dispatcher):
    from tests.metrics_reading import Snapshot

    snapshot = Snapshot()
    run_start(make_tracker, dispatcher, "付款失败了", "payment_failed")
    run_advance(make_tracker, dispatcher, "没用", "deny", guide_slots(step=1))
    run_advance(make_tracker, dispatcher, "还是不行", "deny", guide_slots(step=5))
    run_advance(make_tracker, dispatcher, "解决了", "affirm", guide_slots(step=2))
    last = [action_event("action_guide_advance"), action_event("action_listen"), user_event("下一步", "continue_guide")]
    run_advance(make_tracker, dispatcher, "下一步", "continue_guide", guide_slots("withdraw", step=7), last)

    def steps(step: str) -> float:
        return snapshot.delta("okpay_guide_steps_total", guide="payment_failed", step=step)

    assert [steps("1"), steps("2"), steps("3")] == [1, 1, 0]
    assert snapshot.delta("okpay_guide_ends_total", guide="payment_failed", outcome="exhausted") == 1
    assert snapshot.delta("okpay_guide_ends_total", guide="payment_failed", outcome="solved") == 1
    assert snapshot.delta("okpay_guide_ends_total", guide="withdraw", outcome="completed") == 1
