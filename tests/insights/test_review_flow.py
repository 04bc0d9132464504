"""From a flagged message to exported training data that Rasa reads and its data validation accepts."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.agents.models import SUPERVISOR
from bot.insights import review_export, review_queue
from bot.insights.nlu_labels import BadLabel, domain_labels
from bot.insights.review_items import CORRECTED, ReviewItem
from tests.insights.conversations import events_as_api, user
from tests.ticket_factories import make_agent

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT_TEXT = "账户被锁了怎么办"  # in tests/data/nlu_dev.yml
TRAINING_TEXT = "提现没到"  # in bot/data/nlu/guides.yml as withdraw_not_arrived
URGENT = "提现五百块 三天了还没到 电话13812345678 [急]"
PHONE = (URGENT.index("138"), URGENT.index("138") + 11)

CONVERSATION = [
    user(URGENT, "withdraw", 0.7, 1, "m-withdraw"),
    user(HELD_OUT_TEXT, "account_stolen", 0.5, 2, "m-held"),
    user(TRAINING_TEXT, "withdraw", 0.55, 3, "m-trained"),
    user("手续费 咋收", "faq", 0.52, 4, "m-fees"),
    user("/deny", "deny", 1.0, 5, "m-button"),
]


@pytest.fixture
def reviewed(tickets_db):
    """Four messages flagged from a transcript by an agent and corrected by a supervisor."""
    events = events_as_api(CONVERSATION)
    labels = domain_labels()
    with tickets_db.session() as session:
        agent, lead = make_agent(session), make_agent(session, role=SUPERVISOR)
        ids = [review_queue.flag(session, review_queue.user_message_at(events, seq, "wechat:o1"), agent.id).id
               for seq in range(4)]
        review_queue.correct(session, ids[0], "withdraw_not_arrived",
                             [{"entity": "amount", "value": "500", "start": 2, "end": 5},
                              {"entity": "phone", "value": "13812345678"}], lead.id, labels)
        review_queue.correct(session, ids[1], "account_locked", [], lead.id, labels)
        review_queue.correct(session, ids[2], "withdraw_not_arrived", None, lead.id, labels)
        review_queue.correct(session, ids[3], "faq/fees", [], lead.id, labels)
        items = review_queue.corrected_items(session)
    return ids, items


def test_a_button_payload_cannot_be_flagged():
    with pytest.raises(review_queue.ReviewError) as refused:
        review_queue.user_message_at(events_as_api(CONVERSATION), 4, "wechat:o1")
    assert refused.value.status == 404
    with pytest.raises(review_queue.ReviewError):
        review_queue.user_message_at(events_as_api(CONVERSATION), 99, "wechat:o1")


@pytest.mark.parametrize("intent", ["EXTERNAL_handoff_resolved", "faq", "faq/nope", "nlu_fallback", "", None, 3])
def test_only_the_domains_intents_are_corrections(intent):
    with pytest.raises(BadLabel) as refused:
        domain_labels().check_intent(intent)
    assert refused.value.code == "unknown_intent"


@pytest.mark.parametrize("entities", [
    [{"entity": "amount", "start": 5, "end": 50}],
    [{"entity": "amount", "value": "不在里面"}],
    [{"entity": "colour", "start": 0, "end": 2}],
    [{"entity": "amount", "start": 0, "end": 3}, {"entity": "phone", "start": 2, "end": 4}],
    [{"entity": "amount", "start": True, "end": 2}],
    "amount",
])
def test_entities_must_be_spans_of_the_text_and_of_the_domain(entities):
    with pytest.raises(BadLabel) as refused:
        domain_labels().check_entities(entities, "提现五百块")
    assert refused.value.code == "bad_entities"


def test_corrections_are_stored_with_the_reviewer(reviewed, tickets_db):
    ids, _ = reviewed
    with tickets_db.session() as session:
        item = session.get(ReviewItem, ids[0])
        assert (item.status, item.reason, item.corrected_intent) == (CORRECTED, "flagged", "withdraw_not_arrived")
        assert item.corrected_entities[1] == {"entity": "phone", "value": "13812345678", "start": PHONE[0], "end": PHONE[1]}
        assert item.reviewed_by is not None and item.flagged_by is not None
        with pytest.raises(review_queue.ReviewError):
            review_queue.correct(session, 9999, "greet", [], item.reviewed_by, domain_labels())


def test_export_is_rasa_training_data_marked_by_source(reviewed, tmp_path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    ids, items = reviewed
    out = tmp_path / "review_corrections.yml"
    export = review_export.export_corrections(items, out)
    assert {(left.item_id, left.why) for left in export.left_out} == {
        (ids[1], review_export.HELD_OUT), (ids[2], review_export.IN_TRAINING_DATA)}
    data = RasaYAMLReader().read(out)
    examples = {message.get("text"): message for message in data.intent_examples}
    withdrawn = examples["提现五百块 三天了还没到 电话138****5678 ［急］"]
    assert withdrawn.get("intent") == "withdraw_not_arrived"
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in withdrawn.get("entities")] == [
        ("amount", "500", 2, 5), ("phone", "138****5678", *PHONE)]
    fees = examples["手续费 咋收"]
    assert (fees.get("intent"), fees.get("intent_response_key")) == ("faq", "faq/fees")
    content = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert all(block["metadata"]["source"] == "review" for block in content["nlu"])
    assert {block["intent"]: block["metadata"]["review_items"] for block in content["nlu"]} == {
        "faq/fees": [ids[3]], "withdraw_not_arrived": [ids[0]]}
    assert "13812345678" not in out.read_text(encoding="utf-8")
    assert any("left out item" in line and "development set" in line for line in export.summary(out))


def test_the_same_words_corrected_to_two_intents_are_left_out(tickets_db):
    class Item:
        def __init__(self, id, text, intent):
            self.id, self.text, self.corrected_intent, self.corrected_entities = id, text, intent, []

    export = review_export.build_export(
        [Item(1, "钱没了", "unknown_charge"), Item(2, "錢沒了", "account_stolen"), Item(3, "  ", "greet")], {}, set())
    assert export.examples == [] and {left.why for left in export.left_out} == {
        review_export.CONFLICT, review_export.EMPTY}
    assert "nlu: []" in export.yaml_text


def test_rasa_data_validation_accepts_the_export(reviewed, tmp_path):
    """`python -m bot.cli.validate` (rasa data validate, strict) on a copy of bot/data with the export in it."""
    _, items = reviewed
    data = tmp_path / "data"
    shutil.copytree(ROOT / "bot/data", data, ignore=shutil.ignore_patterns(review_export.DEFAULT_OUT.name))
    review_export.export_corrections(items, data / "nlu" / review_export.DEFAULT_OUT.name,
                                     training_dir=ROOT / "bot/data/nlu")
    result = subprocess.run([sys.executable, "-m", "bot.cli.validate", "--data", str(data)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clean" in result.stdout


def test_the_queue_lists_by_status(reviewed, tickets_db):
    ids, _ = reviewed
    with tickets_db.session() as session:
        review_queue.dismiss(session, ids[1], None)
        assert {item.id for item in review_queue.items(session, status="dismissed")} == {ids[1]}
        assert len(review_queue.items(session, status=None)) == 4
        assert session.execute(select(ReviewItem).where(ReviewItem.status == CORRECTED)).scalars().all()


def test_confirming_the_nlus_entities_keeps_their_spans(tickets_db):
    """The console sends {entity, value} back; "500" is not in 提现五百块没到, the NLU's span is used."""
    predicted = ({"entity": "amount", "value": "500", "start": 2, "end": 5},)
    message = review_queue.Message("wechat:o9", "m-500", "提现五百块没到", "withdraw", 0.5, predicted, 0.0)
    with tickets_db.session() as session:
        lead = make_agent(session, role=SUPERVISOR)
        item = review_queue.flag(session, message, lead.id)
        corrected = review_queue.correct(session, item.id, "withdraw_not_arrived",
                                         [{"entity": "amount", "value": "500"}], lead.id, domain_labels())
        assert corrected.corrected_entities == [{"entity": "amount", "value": "500", "start": 2, "end": 5}]
        with pytest.raises(BadLabel):
            review_queue.correct(session, item.id, "withdraw_not_arrived", [{"entity": "amount", "value": "600"}],
                                 lead.id, domain_labels())


def test_a_correction_close_to_a_test_message_is_left_out(tmp_path):
    """Exporting it would teach the model a test message (and fail the leakage check of scripts/test)."""
    class Item:
        def __init__(self, id, text, intent):
            self.id, self.text, self.corrected_intent, self.corrected_entities = id, text, intent, []

    tests = tmp_path / "nlu_test.yml"
    tests.write_text('version: "3.1"\nnlu:\n- intent: refund\n  examples: |\n    - 衣服退回去了钱怎么还没退给我\n',
                     encoding="utf-8")
    export = review_export.build_export(
        [Item(1, "衣服退回去了 钱怎么还没退给我？", "refund"), Item(2, "押金什么时候退", "refund")], {}, set(),
        tests=review_export.bigrams_of_test_set(tests))
    assert [example.item_id for example in export.examples] == [2]
    assert [(left.item_id, left.why) for left in export.left_out] == [(1, review_export.CLOSE_TO_TEST)]
    assert "close to a test message" in "\n".join(export.summary())
