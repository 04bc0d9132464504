from pathlib import Path

from bot.evaluation.examples import Example, load_examples, plain_text, to_rasa_yaml


def test_annotations_are_reduced_to_their_words():
    assert plain_text("我付了[五百](amount)块") == "我付了五百块"
    assert plain_text('付了[五百]{"entity": "amount", "value": "500"}块') == "付了五百块"


def test_full_labels_round_trip_through_rasa_yaml(tmp_path: Path):
    examples = [Example("手续费多少", "faq/fees"), Example("提现没到", "withdraw_not_arrived"),
                Example("转账收费吗", "faq/fees")]
    (tmp_path / "a.yml").write_text(to_rasa_yaml(examples), encoding="utf-8")
    loaded = load_examples(tmp_path)
    assert sorted(loaded, key=lambda e: e.text) == sorted(examples, key=lambda e: e.text)
    assert {example.intent for example in loaded} == {"faq", "withdraw_not_arrived"}


def test_files_without_intents_are_skipped(tmp_path: Path):
    (tmp_path / "rules.yml").write_text('version: "3.1"\nrules: []\n', encoding="utf-8")
    (tmp_path / "empty.yml").write_text("", encoding="utf-8")
    assert load_examples(tmp_path) == []
