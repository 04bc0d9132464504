"""The training data is large and varied enough, and the held-out file is really held out."""
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.nlu.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
MAIN_INTENTS = [
    "account_locked", "payment_failed", "withdraw", "withdraw_not_arrived", "change_password",
    "reset_password", "refund", "human_handoff", "out_of_scope", "greet", "goodbye", "thank",
    "affirm", "deny", "bot_challenge", "already_tried", "continue_guide",
]


def examples_by_intent(path: Path) -> dict:
    result = {}
    for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        lines = [line[2:].strip() for line in item["examples"].splitlines() if line.strip().startswith("- ")]
        result.setdefault(item["intent"], []).extend(lines)
    return result


@pytest.fixture(scope="module")
def training():
    merged = {}
    for path in sorted((ROOT / "bot/data/nlu").glob("*.yml")):
        for intent, lines in examples_by_intent(path).items():
            merged.setdefault(intent, []).extend(lines)
    return merged


@pytest.fixture(scope="module")
def holdout():
    return examples_by_intent(ROOT / "tests/data/nlu_dev.yml")


@pytest.mark.parametrize("intent", MAIN_INTENTS)
def test_at_least_40_examples_per_main_intent(training, intent):
    assert len(training.get(intent, [])) >= 40


def test_out_of_scope_covers_many_nearby_topics(training):
    text = "".join(training["out_of_scope"])
    for topic in ["利息", "额度", "还款", "理财", "优惠券"]:
        assert topic in text


def test_faq_topics_have_enough_examples(training):
    faq = {intent: lines for intent, lines in training.items() if intent.startswith("faq/")}
    assert len(faq) >= 10
    assert all(len(lines) >= 20 for lines in faq.values())


def test_training_examples_are_unique(training):
    counts = Counter(normalize(line) for lines in training.values() for line in lines)
    assert [line for line, n in counts.items() if n > 1] == []


def test_held_out_messages_are_not_in_the_training_data(training, holdout):
    trained = {normalize(line) for lines in training.values() for line in lines}
    leaked = [line for lines in holdout.values() for line in lines if normalize(line) in trained]
    assert leaked == []


def test_held_out_file_has_ten_per_intent(training, holdout):
    for intent in training:
        assert len(holdout.get(intent, [])) >= 10, intent


def test_training_data_has_traditional_chinese_and_english(training):
    lines = [line for lines in training.values() for line in lines]
    assert sum(normalize(line) != line.lower() for line in lines) > 50  # Traditional or full-width
    assert sum(any("a" <= c.lower() <= "z" for c in line) for line in lines) > 50
