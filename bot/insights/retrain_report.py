"""Did the week's corrections help? Trains the NLU without and with them and compares both on the test set.

    python -m bot.insights.retrain_report [--config config.yml] \\
        [--corrections bot/data/nlu/review_corrections.yml] [--holdout tests/data/nlu_test.yml]

Trains twice in a temporary folder (models, training cache and data copies
there; nothing is written to `bot/models` or `./.rasa`): once on the NLU files
of `bot/data/nlu` without the corrections file, once with it. Both models
parse every message of the test set (`tests/data/nlu_test.yml`, written apart
from the training data; the export leaves out corrections close to its
messages); the report prints, before → after, intent accuracy and macro-F1
(FAQ topics counted as the intent `faq`), accuracy over full labels (each FAQ
topic its own), and F1 of every intent the corrections teach. `nlu_fallback`
counts as wrong. Offline: the pipeline's components are all local. With the
project's config a training takes about a minute on two cores.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from bot.evaluation import rasa_nlu
from bot.evaluation.examples import load_examples
from bot.evaluation.metrics import intent_level, score
from bot.insights.review_export import DEFAULT_OUT, TEST_SET, TRAINING_DIR, known_texts
from bot.nlu.normalize import normalize
from bot.settings import PROJECT_ROOT


@dataclass
class Scores:
    """Figures of one model on the held-out messages."""

    intent_accuracy: float
    intent_macro_f1: float
    label_accuracy: float
    #: F1 per full label (faq/<topic> for FAQ topics).
    f1: Dict[str, float] = field(default_factory=dict)
    training_s: float = 0.0


@dataclass
class Report:
    before: Scores
    after: Scores
    held_out: int
    #: Corrected examples per intent.
    corrections: Dict[str, int]
    #: Corrections whose text is in the held-out file (they flatter "after").
    leaked: List[str]

    def lines(self) -> List[str]:
        def row(name: str, before: float, after: float) -> str:
            return f"{name:<28}{before:>8.3f}{after:>8.3f}  ({after - before:+.3f})"

        total = sum(self.corrections.values())
        lines = [f"held-out messages: {self.held_out}; corrections: {total} examples of "
                 f"{len(self.corrections)} intents",
                 f"{'':<28}{'before':>8}{'after':>8}",
                 row("intent accuracy", self.before.intent_accuracy, self.after.intent_accuracy),
                 row("intent macro-F1", self.before.intent_macro_f1, self.after.intent_macro_f1),
                 row("label accuracy (FAQ topics)", self.before.label_accuracy, self.after.label_accuracy),
                 "F1 of the corrected intents on the held-out file (corrected examples):"]
        for intent, count in sorted(self.corrections.items()):
            before, after = self.before.f1.get(intent), self.after.f1.get(intent)
            if before is None or after is None:
                lines.append(f"  {intent:<26}  not in the held-out file ({count})")
            else:
                lines.append(f"  {intent:<26}{before:>8.3f}{after:>8.3f}  ({after - before:+.3f})  ({count})")
        lines.append(f"training: {self.before.training_s:.0f} s before, {self.after.training_s:.0f} s after")
        if self.leaked:
            lines.append(f"warning: {len(self.leaked)} corrections are held-out messages; 'after' is flattered: "
                         + ", ".join(repr(text) for text in self.leaked[:5]))
        return lines


def scores(gold: Sequence[str], predicted: Sequence[str], training_s: float = 0.0) -> Scores:
    """Accuracy and macro-F1 (over the labels in `gold`), by intent and by full label."""
    labels, intents = score(gold, predicted), score(intent_level(gold), intent_level(predicted))
    return Scores(
        intent_accuracy=intents.accuracy,
        intent_macro_f1=intents.macro_f1,
        label_accuracy=labels.accuracy,
        f1={label: row.f1 for label, row in labels.by_label.items()},
        training_s=training_s,
    )


def train_and_parse(config: Path, nlu_files: Sequence[Path], domain: Path, workdir: Path,
                    texts: Sequence[str]) -> Tuple[List[str], float]:
    """Trains an NLU model on `nlu_files` in `workdir` and returns its full label for each text, and the seconds."""
    model = rasa_nlu.train(config, list(nlu_files), workdir, domain)
    return model.labels(texts), model.training_s


def report(config: Path, corrections: Path, holdout: Path = TEST_SET, training_dir: Path = TRAINING_DIR,
           domain: Path = PROJECT_ROOT / "domain.yml") -> Report:
    """Trains without and with `corrections` and scores both on `holdout`."""
    corrected = load_examples(corrections)
    if not corrected:
        raise ValueError(f"{corrections} has no examples")
    base = [path for path in sorted(training_dir.glob("*.yml")) if path.resolve() != corrections.resolve()]
    held_out = load_examples(holdout)
    texts, gold = [example.text for example in held_out], [example.label for example in held_out]
    _, held_out_texts = known_texts(training_dir, holdout, leave_out=corrections)
    leaked = [example.text for example in corrected if normalize(example.text) in held_out_texts]
    with tempfile.TemporaryDirectory(prefix="okpay-retrain-report-") as temporary:
        work = Path(temporary)
        before, before_s = train_and_parse(config, base, domain, work / "before", texts)
        after, after_s = train_and_parse(config, [*base, corrections], domain, work / "after", texts)
    return Report(before=scores(gold, before, before_s), after=scores(gold, after, after_s), held_out=len(texts),
                  corrections=dict(Counter(example.label for example in corrected)), leaked=leaked)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.insights.retrain_report",
                                     description="Held-out NLU figures without and with the review corrections.")
    parser.add_argument("--config", default="config.yml", help="NLU pipeline (default: config.yml)")
    parser.add_argument("--corrections", default=str(DEFAULT_OUT.relative_to(PROJECT_ROOT)))
    parser.add_argument("--holdout", default=str(TEST_SET.relative_to(PROJECT_ROOT)),
                        help="messages to score on (default: the test set, written apart from the training data)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

    def project_path(value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() or path.exists() else PROJECT_ROOT / path

    config, corrections, holdout = (project_path(args.config).resolve(), project_path(args.corrections).resolve(),
                                    project_path(args.holdout).resolve())
    for path in (config, corrections, holdout):
        if not path.exists():
            print(f"error: {path} does not exist"
                  + (" (write it with `python -m bot.insights.review export`)" if path == corrections else ""),
                  file=sys.stderr)
            return 2
    rasa_nlu.quiet_rasa()
    try:
        result = report(config, corrections, holdout)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(result.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
