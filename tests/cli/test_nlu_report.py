import json

from bot.cli.nlu_report import main, story_line


def test_story_line_counts_the_stories():
    report = {"accuracy": 0.98, "conversation_accuracy": {"correct": 12, "total": 13}}
    assert story_line(report) == "dialogue test stories: 12/13 correct, action accuracy 0.980"


def test_main_reads_the_results_folder(tmp_path, capsys):
    (tmp_path / "story_report.json").write_text(
        json.dumps({"accuracy": 1.0, "conversation_accuracy": {"correct": 3, "total": 3}}), encoding="utf-8")
    assert main(["nlu_report", str(tmp_path)]) == 0
    assert "3/3 correct" in capsys.readouterr().out


def test_a_missing_report_is_an_error(tmp_path, capsys):
    assert main(["nlu_report", str(tmp_path)]) == 1
    assert "story_report.json is missing" in capsys.readouterr().err
