from bot.cli.nlu_report import report_lines, story_line

INTENTS = {
    "greet": {"precision": 1.0, "recall": 0.5, "f1-score": 0.667, "support": 2},
    "faq": {"precision": 0.5, "recall": 1.0, "f1-score": 0.667, "support": 1},
    "accuracy": 0.667,
    "macro avg": {"precision": 0.75, "recall": 0.75, "f1-score": 0.667, "support": 3},
    "weighted avg": {"precision": 0.8, "recall": 0.7, "f1-score": 0.667, "support": 3},
}


def test_report_lists_each_intent_and_the_totals():
    lines = report_lines(INTENTS, {"accuracy": 0.5, "macro avg": {"f1-score": 0.4}})
    assert any(line.startswith("greet") and "0.500" in line for line in lines)
    assert "intent accuracy 0.667, macro-F1 0.667 on 3 held-out messages" in lines
    assert lines[-1] == "FAQ answer selection accuracy 0.500, macro-F1 0.400"
    assert not any(line.startswith("macro avg") for line in lines)


def test_story_line_counts_the_stories():
    report = {"accuracy": 0.98, "conversation_accuracy": {"correct": 12, "total": 13}}
    assert story_line(report) == "dialogue test stories: 12/13 correct, action accuracy 0.980"
