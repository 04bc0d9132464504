"""The one-model classifier: trains on full labels, answers intents and FAQ topics, survives a reload."""
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.label_classifier import FullLabelClassifier
from tests.nlu.test_components import make_tokenizer

EXAMPLES = [
    ("付款失败了", "payment_failed", None), ("扫码付不了钱", "payment_failed", None),
    ("付款一直转圈", "payment_failed", None),
    ("提现没到账", "withdraw_not_arrived", None), ("钱提到卡上三天没到", "withdraw_not_arrived", None),
    ("提现到银行卡还没收到", "withdraw_not_arrived", None),
    ("手续费多少", "faq", "faq/fees"), ("转账收费吗", "faq", "faq/fees"), ("提现要手续费吗", "faq", "faq/fees"),
    ("客服几点下班", "faq", "faq/service_hours"), ("周末有人上班吗", "faq", "faq/service_hours"),
    ("晚上客服在吗", "faq", "faq/service_hours"),
]


def message(text, intent=None, key=None):
    data = {TEXT: text}
    if intent:
        data["intent"] = intent
    if key:
        data["intent_response_key"] = key
    return Message(data=data)


@pytest.fixture()
def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(None)
    tokenizer = make_tokenizer(tmp_path)
    featurizer = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3},
        storage, Resource("cvf"), context)
    classifier = FullLabelClassifier.create(FullLabelClassifier.get_default_config(), storage,
                                            Resource("classifier"), context)
    training = TrainingData([message(*example) for example in EXAMPLES])
    tokenizer.process_training_data(training)
    featurizer.train(training)
    featurizer.process_training_data(training)
    classifier.train(training)

    def parse(text):
        msg = message(text)
        tokenizer.process([msg])
        featurizer.process([msg])
        return msg

    return storage, context, classifier, parse


def test_intents_and_faq_topics_come_from_one_model(pipeline):
    _, _, classifier, parse = pipeline
    msg = classifier.process([parse("提現的手續費怎麼收")])[0]
    assert msg.get("intent")["name"] == "faq"
    selected = msg.get("response_selector")["faq"]["response"]
    assert selected["intent_response_key"] == "faq/fees"
    assert selected["utter_action"] == "utter_faq/fees"
    assert msg.get("response_selector")["all_retrieval_intents"] == ["faq"]
    msg = classifier.process([parse("付款付不了")])[0]
    assert msg.get("intent")["name"] == "payment_failed"


def test_the_intent_confidence_sums_its_topics_and_rankings_add_up(pipeline):
    _, _, classifier, parse = pipeline
    msg = classifier.process([parse("手续费")])[0]
    ranking = msg.get("intent_ranking")
    assert [item["name"] for item in ranking][0] == "faq"
    assert sum(item["confidence"] for item in ranking) == pytest.approx(1.0)
    topics = msg.get("response_selector")["faq"]["ranking"]
    assert sum(item["confidence"] for item in topics) == pytest.approx(1.0)


def test_a_reloaded_model_predicts_the_same(pipeline):
    storage, context, classifier, parse = pipeline
    loaded = FullLabelClassifier.load(FullLabelClassifier.get_default_config(), storage, Resource("classifier"),
                                      context)
    assert loaded.labels == classifier.labels
    before = classifier.process([parse("提现三天没到")])[0].get("intent_ranking")
    after = loaded.process([parse("提现三天没到")])[0].get("intent_ranking")
    assert before == after


def test_an_untrained_model_predicts_nothing(tmp_path):
    classifier = FullLabelClassifier.load(FullLabelClassifier.get_default_config(), LocalModelStorage(tmp_path),
                                          Resource("missing"), ExecutionContext(None))
    msg = message("付款失败")
    assert classifier.process([msg])[0].get("intent") is None


def test_an_empty_message_gets_no_intent_at_confidence_zero(pipeline):
    _, _, classifier, parse = pipeline
    empty, fees = classifier.process([Message(data={TEXT: ""}), parse("手续费")])
    assert empty.get("intent") == {"name": None, "confidence": 0.0} and empty.get("intent_ranking") == []
    assert fees.get("intent")["name"] == "faq"


def test_the_weights_are_one_contiguous_block_kept_until_the_coefficients_change(pipeline):
    """A transposed view would make SciPy copy every coefficient for every message."""
    import numpy as np

    _, _, classifier, parse = pipeline
    weights = classifier.weights()
    assert weights.flags["C_CONTIGUOUS"] and weights.shape == classifier.coef.T.shape
    assert np.array_equal(weights, classifier.coef.T)
    assert classifier.weights() is weights
    before = classifier.process([parse("手续费多少钱")])[0].get("intent_ranking")
    classifier.coef = classifier.coef * 1.0  # retrained or reloaded: new coefficients
    assert classifier.weights() is not weights
    assert classifier.process([parse("手续费多少钱")])[0].get("intent_ranking") == before
