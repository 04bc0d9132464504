"""Prints the held-out NLU figures that `rasa test` wrote to a results folder."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List

_AGGREGATES = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def report_lines(intent_report: Dict, selection_report: Dict) -> List[str]:
    lines = [f"{'intent':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}"]
    for name, row in sorted(intent_report.items()):
        if name in _AGGREGATES or not isinstance(row, dict):
            continue
        lines.append(
            f"{name:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1-score']:>8.3f}{row['support']:>6}"
        )
    lines.append(
        f"intent accuracy {intent_report['accuracy']:.3f}, "
        f"macro-F1 {intent_report['macro avg']['f1-score']:.3f} "
        f"on {intent_report['macro avg']['support']} held-out messages"
    )
    if selection_report:
        lines.append(
            f"FAQ answer selection accuracy {selection_report['accuracy']:.3f}, "
            f"macro-F1 {selection_report['macro avg']['f1-score']:.3f}"
        )
    return lines


def story_line(story_report: Dict) -> str:
    stories = story_report["conversation_accuracy"]
    return (
        f"dialogue test stories: {stories['correct']}/{stories['total']} correct, "
        f"action accuracy {story_report['accuracy']:.3f}"
    )


def main(argv: List[str]) -> int:
    results = Path(argv[1] if len(argv) > 1 else "results")
    story_path = results / "story_report.json"
    if story_path.exists():
        print(story_line(json.loads(story_path.read_text(encoding="utf-8"))))
    intent_report = json.loads((results / "intent_report.json").read_text(encoding="utf-8"))
    selection_path = results / "response_selection_report.json"
    selection = json.loads(selection_path.read_text(encoding="utf-8")) if selection_path.exists() else {}
    print("\n".join(report_lines(intent_report, selection)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
