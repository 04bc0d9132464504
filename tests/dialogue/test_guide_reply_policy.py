"""The guide policy takes a reply to the step the guide just showed, and nothing else."""
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.guide_reply_policy import ADVANCE, GuideReplyPolicy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture()
def policy(tmp_path) -> GuideReplyPolicy:
    return GuideReplyPolicy.create(GuideReplyPolicy.get_default_config(), LocalModelStorage(tmp_path),
                                   Resource("guide_reply_policy"), ExecutionContext(GraphSchema({}), "test"))


def guide_slots(guide="payment_failed", step=1):
    return [SlotSet("guide", guide), SlotSet("guide_step", float(step)), SlotSet("guide_done_steps", []),
            SlotSet("guide_active", True)]


def user(text, intent, confidence=0.9):
    return UserUttered(text, {"name": intent, "confidence": confidence},
                       parse_data={"intent": {"name": intent, "confidence": confidence}, "intent_ranking": [],
                                   "text": text})


def predicted(policy, domain, events):
    tracker = DialogueStateTracker.from_events("u", events, slots=domain.slots)
    prediction = policy.predict_action_probabilities(tracker, domain)
    if max(prediction.probabilities) == 0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


def after_step(*events, guide="payment_failed", step=1, last_action="action_guide_start"):
    return [ActionExecuted("action_listen"), user("付款失败", "payment_failed"), ActionExecuted(last_action),
            *guide_slots(guide, step), ActionExecuted("action_listen"), *events]


def test_a_described_check_after_a_step_is_the_guides(policy, domain):
    assert predicted(policy, domain, after_step(user("流量满格啊", "affirm"))) == ADVANCE


def test_stuck_at_the_step_wins_over_another_guides_intent(policy, domain):
    events = after_step(user("验证码一直收不到", "reset_password", 0.95), guide="account_locked", step=3)
    assert predicted(policy, domain, events) == ADVANCE


def test_a_new_topic_is_left_to_the_rules(policy, domain):
    assert predicted(policy, domain, after_step(user("提现手续费怎么收", "faq", 0.9))) is None
    assert predicted(policy, domain, after_step(user("另外 我上周的退款到哪了", "refund", 0.8))) is None


def test_a_person_asked_for_in_the_middle_of_a_reply_is_the_guides_to_hand_over(policy, domain):
    """The guide hands over itself, so the ticket gets the steps tried, whatever the classifier said."""
    assert predicted(policy, domain, after_step(user("收不到邮件 别让我等了 转人工", "cancel", 0.7),
                                                guide="reset_password", step=3)) == ADVANCE


def test_only_right_after_a_step(policy, domain):
    events = after_step(user("手续费多少", "faq"), ActionExecuted("utter_faq"), ActionExecuted("action_listen"),
                        user("流量满格", "already_tried"))
    assert predicted(policy, domain, events) is None


def test_not_while_paused_or_in_a_form(policy, domain):
    assert predicted(policy, domain, [ConversationPaused(), *after_step(user("流量满格", "affirm"))]) is None
    assert predicted(policy, domain, [*after_step(), ActiveLoop("ticket_form"), ActionExecuted("action_listen"),
                                      user("流量满格", "affirm")]) is None


def test_listens_after_the_advance_it_predicted_only(policy, domain):
    events = after_step(user("流量满格", "affirm"))
    mine = ActionExecuted(ADVANCE, policy="GuideReplyPolicy")
    assert predicted(policy, domain, [*events, mine]) == "action_listen"
    by_rule = ActionExecuted(ADVANCE, policy="RulePolicy")
    assert predicted(policy, domain, [*events, by_rule]) is None


def test_no_open_guide_no_prediction(policy, domain):
    events = [ActionExecuted("action_listen"), user("好的", "affirm")]
    assert predicted(policy, domain, events) is None
