"""Every intent a supervisor sees or chooses has a Chinese name."""
from bot.content.catalog import intent_title, load_intent_names
from bot.insights.nlu_labels import domain_labels


def test_every_label_a_correction_may_use_has_a_chinese_name():
    names = load_intent_names()
    missing = sorted(name for name in domain_labels().intents if name not in names)
    assert missing == []
    assert all(any("\u4e00" <= char <= "\u9fff" for char in title) for title in names.values())


def test_unknown_or_missing_intents_have_no_title():
    assert intent_title("payment_failed") == "支付失败"
    assert intent_title(None) is None and intent_title("no_such_intent") is None
