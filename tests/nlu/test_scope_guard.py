"""out_of_scope only for what OKPay does not serve."""
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.scope_guard import DEFAULT_WORDS, OutOfScopeGuard, load_words, looks_in_scope


def predicted(text, intent, confidence):
    msg = Message(data={TEXT: text})
    msg.set("intent", {"name": intent, "confidence": confidence})
    msg.set("intent_ranking", [{"name": intent, "confidence": confidence},
                               {"name": "withdraw", "confidence": 1 - confidence}])
    return OutOfScopeGuard(OutOfScopeGuard.get_default_config()).process([msg])[0]


def test_a_confident_out_of_scope_on_a_topic_we_do_not_serve_stays():
    assert predicted("花呗额度怎么提高", "out_of_scope", 0.9).get("intent")["name"] == "out_of_scope"


def test_an_out_of_scope_that_names_our_service_asks_instead():
    msg = predicted("借呗的钱怎么提到银行卡", "out_of_scope", 0.9)
    assert msg.get("intent")["name"] == "nlu_fallback"
    assert [item["name"] for item in msg.get("intent_ranking")][:3] == ["nlu_fallback", "out_of_scope", "withdraw"]


def test_a_doubtful_out_of_scope_asks_instead():
    assert predicted("美团那个单子咋整", "out_of_scope", 0.35).get("intent")["name"] == "nlu_fallback"


def test_other_intents_are_left_alone():
    assert predicted("提现没到账", "withdraw_not_arrived", 0.3).get("intent")["name"] == "withdraw_not_arrived"


def test_words_are_normalised_and_comments_skipped():
    words = OutOfScopeGuard(OutOfScopeGuard.get_default_config()).words
    assert words == load_words(str(DEFAULT_WORDS))
    assert "okpay" in words and not any(word.startswith("#") for word in words)
    assert looks_in_scope("OKPay帳戶", words)
