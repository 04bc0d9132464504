"""Replies to a guide's step in users' own words, through the real server, model and actions (issue 12, item 6)."""
import pytest

pytestmark = pytest.mark.e2e


def test_a_full_signal_after_the_network_step_is_not_solved(chat):
    chat.say("扫码付款一直转圈付不出去")
    replies = chat.texts("我用的是手机流量，信号满格的")
    assert chat.response("utter_guide_solved") not in replies
    assert replies[-2:] == chat.responses("utter_guide_payment_failed_2", "utter_ask_guide_helped")


def test_no_code_at_the_code_step_gets_that_steps_help_not_another_guide(chat):
    chat.say("密码输错好几次 账号被锁了")
    chat.say("/continue_guide")
    chat.say("/continue_guide")  # step 3: the code
    assert chat.texts("验证码等了好久都没收到") == chat.responses(
        "utter_guide_account_locked_3_help", "utter_ask_guide_next")
    assert chat.tracker()["slots"]["guide"] == "account_locked"


def test_cannot_find_the_menu_gets_where_it_is(chat):
    chat.say("我想改一下登录密码")
    chat.say("/continue_guide")  # step 2: 我的 → 安全设置
    assert chat.texts("我的页面里找不到安全设置啊") == chat.responses(
        "utter_guide_change_password_2_help", "utter_ask_guide_next")


def test_a_charge_the_merchant_did_not_receive_goes_to_the_records_step(chat):
    chat.say("超市付款没成功")
    replies = chat.texts("可是钱已经扣了 收银员说没收到")
    assert replies == chat.responses("utter_guide_jump", "utter_guide_payment_failed_5", "utter_ask_guide_helped")


def test_ok_after_did_it_help_is_asked_about_and_only_solved_closes(chat):
    chat.say("转账给朋友一直失败")
    assert chat.texts("嗯嗯好的") == chat.responses("utter_guide_confirm_solved")
    assert chat.texts("还是付不了") == chat.responses("utter_guide_payment_failed_2", "utter_ask_guide_helped")
    assert chat.texts("好了 现在能付了") == chat.responses("utter_guide_solved")


def test_asking_for_a_person_in_a_reply_hands_over_with_the_guide(chat):
    chat.say("忘记密码了 登不上")
    chat.say("/continue_guide")
    chat.say("/continue_guide")  # step 3: the reset e-mail
    replies = chat.texts("邮件一直收不到 别让我等了 帮我转人工")
    assert replies == chat.responses("utter_handoff_start", "utter_ask_ticket_contact")
