import pytest

from bot.evaluation.metrics import FALLBACK, confusions, intent_level, score


def test_macro_f1_averages_the_gold_labels():
    gold = ["a", "a", "b", "b"]
    predicted = ["a", "b", "b", "b"]
    scores = score(gold, predicted)
    # a: p=1 r=.5 f=.667; b: p=.667 r=1 f=.8
    assert scores.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert scores.accuracy == 0.75
    assert scores.by_label["b"].support == 2


def test_fallback_is_wrong_and_counted():
    scores = score(["a", "b"], ["a", FALLBACK])
    assert scores.accuracy == 0.5 and scores.fallback_share == 0.5


def test_a_label_never_in_gold_only_lowers_precision():
    scores = score(["a", "a"], ["a", "out_of_scope"])
    assert set(scores.by_label) == {"a"}
    assert scores.by_label["a"].recall == 0.5


def test_intent_level_and_confusions():
    assert intent_level(["faq/fees", "withdraw"]) == ["faq", "withdraw"]
    gold = ["a", "a", "a", "b"]
    predicted = ["c", "c", "b", "a"]
    assert confusions(gold, predicted, top=2) == [("a", "c", 2), ("a", "b", 1)]


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        score(["a"], [])
