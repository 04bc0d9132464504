from pathlib import Path

import pytest

from bot.content.catalog import PROCEDURE, TROUBLESHOOT, guide_for_intent, load_guides, load_topics

GUIDE_INTENTS = [
    "account_locked", "payment_failed", "withdraw", "withdraw_not_arrived",
    "change_password", "reset_password", "refund",
]


@pytest.mark.parametrize("intent", GUIDE_INTENTS)
def test_every_troubleshooting_intent_has_a_guide(intent):
    guide = guide_for_intent(intent)
    assert guide is not None and guide.intent == intent


def test_guides_follow_the_seed_order():
    steps = {name: [step.id for step in guide.steps] for name, guide in load_guides().items()}
    assert steps["account_locked"] == ["find_unlock", "verify_identity", "enter_code", "new_password"]
    assert steps["payment_failed"] == ["network", "balance", "payment_method", "restart_app", "check_records"]
    assert steps["withdraw"] == [
        "log_in", "open_withdraw", "choose_card", "enter_amount", "confirm", "wait", "check_records",
    ]
    assert steps["change_password"] == [
        "log_in", "open_security", "choose_change", "old_password", "new_password", "confirm",
    ]
    assert steps["reset_password"] == ["forgot_link", "registered_email", "open_link", "new_password"]
    assert steps["refund"] == ["contact_merchant", "okpay_support", "keep_evidence"]


def test_kinds_and_prompts():
    guides = load_guides()
    assert guides["payment_failed"].kind == TROUBLESHOOT
    assert guides["payment_failed"].prompt_response == "utter_ask_guide_helped"
    assert guides["withdraw"].kind == PROCEDURE
    assert guides["withdraw"].prompt_response == "utter_ask_guide_next"


@pytest.mark.parametrize(
    ("guide", "text", "step"),
    [
        ("payment_failed", "我已经重启过了", "restart_app"),
        ("payment_failed", "网络没问题", "network"),
        ("payment_failed", "余额是够的", "balance"),
        ("payment_failed", "卡没过期", "payment_method"),
        ("payment_failed", "wifi也换过了", "network"),
        ("withdraw", "我已经登录了", "log_in"),
        ("withdraw_not_arrived", "已经等了5个工作日了", "working_days"),
        ("refund", "商家不理我", "contact_merchant"),
    ],
)
def test_done_patterns_recognise_what_users_write(guide, text, step):
    assert step in load_guides()[guide].steps_done_in(text)


def test_done_patterns_do_not_fire_on_the_problem_itself():
    guide = load_guides()["payment_failed"]
    assert guide.steps_done_in("付款一直失败怎么办") == frozenset()


def test_a_guide_file_with_a_bad_kind_is_refused(tmp_path: Path):
    bad = tmp_path / "guides.yml"
    bad.write_text("guides:\n  x:\n    intent: x\n    title: X\n    kind: other\n    steps: [{id: a}]\n")
    with pytest.raises(ValueError, match="kind"):
        load_guides(bad)


def test_a_guide_without_steps_is_refused(tmp_path: Path):
    bad = tmp_path / "guides.yml"
    bad.write_text("guides:\n  x:\n    intent: x\n    title: X\n    kind: procedure\n    steps: []\n")
    with pytest.raises(ValueError, match="no steps"):
        load_guides(bad)


def test_topics_have_labels_for_their_defaults():
    topics = load_topics()
    assert set(topics.default) <= set(topics.labels)
    assert set(GUIDE_INTENTS) <= set(topics.labels)
