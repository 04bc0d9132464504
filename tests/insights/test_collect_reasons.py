"""The review queue holds what was plausibly misunderstood, not every guide that did not help."""
from __future__ import annotations

from typing import Any, List

import pytest
from sqlalchemy import select

from bot.conversations.events_table import read_engine
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.insights import review_queue
from bot.insights.review_items import ReviewItem
from tests.insights.conversations import GUIDE_QUESTION, PERIOD, at, bot, write

PROCEDURE_QUESTION = "utter_ask_guide_next"


def user(text: str, intent: str, confidence: float, hours: float, message_id: str, ranking=None) -> Any:
    from rasa.shared.core.events import UserUttered

    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text,
             "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    return UserUttered(text, intent=parse["intent"], parse_data=parse, timestamp=at(hours), message_id=message_id,
                       input_channel="test")


def guide_steps(first_hours: float, not_solved_at: List[int]) -> List[Any]:
    """The payment guide: intro and steps 1–3; 没解决 after the steps listed."""
    events, t = [bot("付款没成功…", "utter_guide_payment_failed_intro", first_hours)], first_hours
    for step in (1, 2, 3):
        t += 0.01
        events += [bot(f"第{step}步", f"utter_guide_payment_failed_{step}", t), bot("这样能解决吗？", GUIDE_QUESTION, t)]
        t += 0.01
        events.append(user("没解决", "deny", 0.97, t, f"deny-{first_hours}-{step}") if step in not_solved_at
                      else user("网络挺好", "already_tried", 0.9, t, f"fine-{first_hours}-{step}"))
    return events


@pytest.fixture()
def collect(tmp_path):
    def run(conversations):
        events_url = write(tmp_path / "okpay.db", conversations)
        tickets_url = f"sqlite:///{tmp_path / 'tickets.db'}"
        upgrade(tickets_url)
        database, engine = Database(tickets_url), read_engine(events_url)
        try:
            with database.session() as session:
                counts = review_queue.collect(engine, session, PERIOD, 0.6)
            with database.session() as session:
                items = {i.message_id: i.reason for i in session.execute(select(ReviewItem)).scalars()}
        finally:
            engine.dispose()
            database.dispose()
        return counts, items

    return run


def test_six_users_whose_guide_did_not_help_at_a_later_step_fill_no_queue(collect):
    """The supervisor's case: "付款一直失败" at confidence 1.0, 没解决 to step 2 — a step that did not help."""
    conversations = {
        f"widget:u:{n}": [user("付款一直失败", "payment_failed", 1.0, 1 + n, f"open-{n}"), *guide_steps(1 + n + 0.001, [2])]
        for n in range(6)
    }
    counts, items = collect(conversations)
    assert items == {} and sum(counts.values()) == 0


def test_no_solved_to_the_first_step_questions_the_guide(collect):
    conversations = {"wechat:o9": [user("扣了钱没到账", "payment_failed", 0.95, 1, "open"),
                                   *guide_steps(1.001, [1, 2])]}
    assert collect(conversations)[1] == {"open": "not_solved"}


def test_a_hesitating_classifier_is_collected(collect):
    """Above the threshold, but hardly above the runner-up."""
    ranking = [{"name": "withdraw", "confidence": 0.7}, {"name": "withdraw_not_arrived", "confidence": 0.65}]
    sure = [{"name": "withdraw", "confidence": 0.7}, {"name": "withdraw_not_arrived", "confidence": 0.2}]
    conversations = {"telegram:7": [user("钱转到卡里怎么还没看到", "withdraw", 0.7, 1, "hesitant", ranking),
                                    user("怎么把余额转到银行卡", "withdraw", 0.7, 2, "sure", sure)]}
    assert collect(conversations)[1] == {"hesitant": "low_confidence"}


def test_a_rephrase_right_after_collects_the_first_message(collect):
    conversations = {"telegram:8": [
        user("美团付款显示没付成功 钱却扣了", "out_of_scope", 0.8, 1, "first"),
        bot("抱歉，这个我帮不上忙", "utter_out_of_scope", 1.01),
        user("我用okpay付美团 钱扣了 订单显示没付", "payment_failed", 0.85, 1.1, "second"),
        # Different words on another matter: no rephrase.
        user("另外手续费怎么收", "faq", 0.85, 1.2, "third"),
    ]}
    assert collect(conversations)[1] == {"first": "rephrased"}
