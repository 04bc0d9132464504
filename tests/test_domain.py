"""The domain holds every response the actions and guides name, consistently."""
import re

import pytest

from bot.actions.responses import TEMPLATE_VARIABLES, responses_uttered_by_actions
from bot.content.catalog import load_guides, load_topics

REQUIRED_FAQ_TOPICS = {
    "fees", "account_security", "currency", "contact_channels", "service_hours",
    "response_slow", "unsatisfied_solution", "chat_privacy", "about_okpay", "processing_time",
}


def test_every_response_an_action_utters_exists(domain):
    missing = responses_uttered_by_actions() - set(domain["responses"])
    assert not missing


@pytest.mark.parametrize("guide", list(load_guides().values()), ids=lambda g: g.name)
def test_each_step_says_its_number_and_the_total(domain, guide):
    total = len(guide.steps)
    for number in range(1, total + 1):
        text = domain["responses"][guide.step_response(number)][0]["text"]
        assert text.startswith(f"第{number}步（共{total}步）")
    assert f"utter_guide_{guide.name}_{total + 1}" not in domain["responses"]


def test_required_faq_topics_have_answers(domain):
    topics = {name.split("/", 1)[1] for name in domain["responses"] if name.startswith("utter_faq/")}
    assert REQUIRED_FAQ_TOPICS <= topics


@pytest.mark.parametrize(
    ("response", "facts"),
    [
        ("utter_faq/fees", ["1%到3%", "提现手续费", "实时汇率"]),
        ("utter_faq/currency", ["美元", "欧元", "人民币", "实时汇率"]),
        ("utter_faq/contact_channels", ["24小时"]),
        ("utter_faq/account_security", ["双重验证"]),
        ("utter_faq/chat_privacy", ["密码", "卡号"]),
        ("utter_faq/processing_time", ["1到3个工作日", "24小时"]),
        ("utter_guide_withdraw_6", ["1到3个工作日"]),
        ("utter_ticket_store_down", ["在线客服", "客服热线", "24小时"]),
        ("utter_ticket_recorded_closed", ["24小时"]),
        ("utter_ticket_recorded_busy", ["24小时"]),
        ("utter_agent_joined", ["工号"]),
    ],
)
def test_answers_carry_the_seed_facts(domain, response, facts):
    text = domain["responses"][response][0]["text"]
    for fact in facts:
        assert fact in text


def test_guide_prompts_offer_solved_not_solved_and_a_person(domain):
    helped = [b["title"] for b in domain["responses"]["utter_ask_guide_helped"][0]["buttons"]]
    assert helped == ["解决了", "没解决", "转人工"]
    nxt = [b["payload"] for b in domain["responses"]["utter_ask_guide_next"][0]["buttons"]]
    assert nxt == ["/continue_guide", "/affirm", "/human_handoff"]


def test_every_button_payload_and_topic_is_a_domain_intent(domain):
    intents = set(domain["intents"])
    payloads = {
        button["payload"]
        for variants in domain["responses"].values()
        for variant in variants
        for button in variant.get("buttons", [])
    }
    # "/intent" payloads skip the NLU; plain ones are typed answers (the 1–5 rating).
    assert {p.lstrip("/") for p in payloads if p.startswith("/")} <= intents
    assert {p for p in payloads if not p.startswith("/")} == {"1", "2", "3", "4", "5"}
    assert set(load_topics().labels) <= intents


def test_slot_templates_refer_to_existing_slots(domain):
    known = set(domain["slots"]) | TEMPLATE_VARIABLES
    for name, variants in domain["responses"].items():
        for variant in variants:
            for slot in re.findall(r"{(\w+)}", variant.get("text", "")):
                assert slot in known, f"{name} uses unknown slot {slot}"
