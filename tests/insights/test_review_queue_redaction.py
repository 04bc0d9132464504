"""Review items never keep a secret, even from messages stored before redaction or added without a UserMessage."""
from __future__ import annotations

from sqlalchemy import select

from bot.agents.models import SUPERVISOR
from bot.conversations.events_table import read_engine
from bot.insights import review_queue
from bot.insights.nlu_labels import domain_labels
from bot.insights.review_items import ReviewItem
from bot.privacy import MASK
from tests.insights.conversations import PERIOD, events_as_api, user, write
from tests.ticket_factories import make_agent

CARD = "6222.0212.3456.7894"  # the security review's dotted card number (with its Luhn digit)
TEXT = f"提现五百块 卡号{CARD} 还没到"
AMOUNT = {"entity": "amount", "value": "500", "start": 2, "end": 5}
ON_THE_CARD = {"entity": "account", "value": CARD, "start": TEXT.index(CARD), "end": TEXT.index(CARD) + len(CARD)}
AFTER = {"entity": "status", "value": "没到", "start": TEXT.index("没到"), "end": TEXT.index("没到") + 2}


def expected_entities():
    redacted = f"提现五百块 卡号{MASK} 还没到"
    return [AMOUNT, {**AFTER, "start": redacted.index("没到"), "end": redacted.index("没到") + 2}]


def test_collected_items_are_redacted_with_their_entities(tmp_path, tickets_db):
    """A message stored in clear (before the patterns knew dotted card numbers) is collected masked."""
    url = write(tmp_path / "okpay.db", {"widget:u:z": [
        user(TEXT, "withdraw_not_arrived", 0.3, 1, "clear", entities=[AMOUNT, ON_THE_CARD, AFTER]),
        user("我的钱怎么还没到账啊", "withdraw_not_arrived", 0.4, 2, "plain"),
    ]})
    engine = read_engine(url)
    with tickets_db.session() as session:
        review_queue.collect(engine, session, PERIOD, 0.6)
    engine.dispose()
    with tickets_db.session() as session:
        items = {item.message_id: item for item in session.execute(select(ReviewItem)).scalars()}
        assert items["clear"].text == f"提现五百块 卡号{MASK} 还没到"
        assert items["clear"].entities == expected_entities()
        assert items["plain"].text == "我的钱怎么还没到账啊"
        assert CARD not in str([(item.text, item.entities) for item in items.values()])


def test_flagged_items_are_redacted_and_corrections_fit_the_redacted_text(tickets_db):
    """A user event added through Rasa's HTTP API never went through a UserMessage."""
    events = events_as_api([user(TEXT, "withdraw", 0.5, 1, "api", entities=[AMOUNT, ON_THE_CARD, AFTER])])
    with tickets_db.session() as session:
        lead = make_agent(session, role=SUPERVISOR)
        item = review_queue.flag(session, review_queue.user_message_at(events, 0, "wechat:o7"), lead.id)
        assert item.text == f"提现五百块 卡号{MASK} 还没到" and item.entities == expected_entities()
        corrected = review_queue.correct(session, item.id, "withdraw_not_arrived",
                                         [{"entity": "amount", "value": "500"}], lead.id, domain_labels())
        assert corrected.corrected_entities == [AMOUNT]
        assert CARD not in str(review_queue.item_json(corrected))
