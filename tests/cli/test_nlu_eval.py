"""The NLU evaluation fails on leakage and below the floor, and reports cross-validation beside the test set."""
from pathlib import Path

import pytest

from bot.cli.nlu_eval import DEV_SET, FLOOR, TEST_SET, TRAINING, evaluate, read_floor
from bot.evaluation.examples import Example, load_examples
from bot.evaluation.leakage import find_leaks

TRAINING_SET = [Example("付款失败了怎么办", "payment_failed"), Example("提现一直没到账", "withdraw_not_arrived"),
                Example("手续费怎么收", "faq/fees")]
TEST = [Example("扫码的时候收银台说交易不成功", "payment_failed"),
        Example("钱转去银行三天了还没看到", "withdraw_not_arrived"), Example("换美元要多少费用", "faq/fees")]
DEV = [Example("支付不了", "payment_failed")]
ANSWERS = {"扫码的时候收银台说交易不成功": "payment_failed", "钱转去银行三天了还没看到": "withdraw_not_arrived",
           "换美元要多少费用": "faq/fees", "支付不了": "payment_failed"}


def oracle(texts):
    return [ANSWERS.get(text, "out_of_scope") for text in texts]


def test_a_perfect_model_above_the_floor_passes():
    result = evaluate(oracle, TRAINING_SET, TEST, DEV, floor=0.9)
    assert result.failures == []
    assert result.report["test"]["macro_f1"] == 1.0 and result.report["test"]["n"] == 3


def test_below_the_floor_fails():
    result = evaluate(lambda texts: ["payment_failed"] * len(texts), TRAINING_SET, TEST, DEV, floor=0.5)
    assert len(result.failures) == 1 and "below the floor 0.500" in result.failures[0]


def test_a_test_message_close_to_a_training_example_fails(capsys):
    leaking = [*TEST, Example("付款失败了，怎么办？", "payment_failed")]
    result = evaluate(lambda texts: [ANSWERS.get(t, "payment_failed") for t in texts], TRAINING_SET, leaking, DEV,
                      floor=0.0)
    assert any("too close to the training data" in failure for failure in result.failures)
    assert "付款失败了，怎么办？" in capsys.readouterr().out


def test_cross_validation_is_reported_and_a_test_set_far_above_it_is_questioned(capsys):
    crossval = {"gold": ["a", "b"], "predicted": ["a", "a"], "folds": 5}
    result = evaluate(oracle, TRAINING_SET, TEST, DEV, floor=0.0, crossval=crossval)
    assert result.report["crossval"]["accuracy"] == 0.5
    assert "may be too close to the training data" in capsys.readouterr().out


def test_the_floor_file_is_read():
    assert 0 < read_floor(FLOOR) <= 1


def test_the_repository_test_set_does_not_leak_and_is_large_and_skewed():
    test, training = load_examples(TEST_SET), load_examples(TRAINING)
    assert len(test) >= 600
    assert find_leaks(test, training) == []
    counts = {}
    for example in test:
        counts[example.label] = counts.get(example.label, 0) + 1
    assert counts["payment_failed"] > 5 * counts["change_password"]
    assert load_examples(DEV_SET)


@pytest.mark.parametrize("path", [TEST_SET, DEV_SET])
def test_evaluation_sets_use_only_labels_the_training_data_has(path: Path):
    labels = {example.label for example in load_examples(TRAINING)}
    assert {example.label for example in load_examples(path)} <= labels


def test_a_false_solved_fails_the_run(tmp_path, monkeypatch):
    from bot.cli import nlu_eval
    from bot.cli.nlu_eval import Evaluation, check_step_replies

    replies = tmp_path / "replies.tsv"
    replies.write_text("# comment\npayment_failed\t1\tmoved_on\t网络挺好的\npayment_failed\t2\tsolved\t付款成功了\n",
                       encoding="utf-8")
    monkeypatch.setattr(nlu_eval, "STEP_REPLIES", {"held out": replies})
    parses = {"网络挺好的": {"intent": {"name": "affirm", "confidence": 0.9}},
              "付款成功了": {"intent": {"name": "affirm", "confidence": 0.9}}}
    result = Evaluation()
    check_step_replies(lambda texts: [parses[t] for t in texts], result)
    assert result.failures == [] and result.report["step_replies_held_out"]["accuracy"] == 1.0

    replies.write_text("payment_failed\t1\tmoved_on\t好了\n", encoding="utf-8")
    result = Evaluation()
    check_step_replies(lambda texts: [{"intent": {"name": "affirm", "confidence": 0.9}} for _ in texts], result)
    assert len(result.failures) == 1 and "closes the guide as solved" in result.failures[0]
