"""Prints the dialogue-story figures that `rasa test core` wrote to a results folder."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict, List


def story_line(story_report: Dict) -> str:
    stories = story_report["conversation_accuracy"]
    return (
        f"dialogue test stories: {stories['correct']}/{stories['total']} correct, "
        f"action accuracy {story_report['accuracy']:.3f}"
    )


def main(argv: List[str]) -> int:
    results = Path(argv[1] if len(argv) > 1 else "results")
    story_path = results / "story_report.json"
    if not story_path.exists():
        print(f"error: {story_path} is missing (run `rasa test core --out {results}` first)", file=sys.stderr)
        return 1
    print(story_line(json.loads(story_path.read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
