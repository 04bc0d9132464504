"""The NLU's figures, told honestly: leakage check, test set, development set, cross-validation, floor.

    python -m bot.cli.nlu_eval [--model PATH] [--folds 5] [--no-crossval]

1. Leakage: every message of the test set (`tests/data/nlu_test.yml`, written
   apart from the training data) is compared with every training example by
   character-bigram Jaccard (`bot/evaluation/leakage.py`); one at 0.5 or more
   fails the run.
2. The trained model parses the test set and the development set
   (`tests/data/nlu_dev.yml`, written together with the training data: it
   measures recall of our own phrasing, so it is reported, never trusted).
3. 5-fold cross-validation of the training data with `config.yml`, stratified
   by label, cached in `var/nlu_eval/` under the model's fingerprint.
4. The floor: the run fails when the test set's macro-F1 is below
   `tests/data/nlu_floor.yml`.
5. Replies to a guide's step (tests/data/step_replies*.tsv, written by people
   who never saw the rules): the share understood, and the run fails on any
   false "solved" (bot/evaluation/step_replies.py).

Macro-F1 and accuracy are over full labels (each FAQ topic its own class); a
message sent to `nlu_fallback` counts as wrong. Figures are written to
`results/nlu_eval.json` as well.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import yaml

from bot.evaluation.examples import Example, load_examples
from bot.evaluation.leakage import THRESHOLD, find_leaks
from bot.evaluation.metrics import Scores, confusions, intent_level, score
from bot.settings import PROJECT_ROOT

TRAINING = PROJECT_ROOT / "bot/data/nlu"
TEST_SET = PROJECT_ROOT / "tests/data/nlu_test.yml"
DEV_SET = PROJECT_ROOT / "tests/data/nlu_dev.yml"
FLOOR = PROJECT_ROOT / "tests/data/nlu_floor.yml"
#: Replies to a guide's step: one set the patterns were written with, one held out.
STEP_REPLIES = {"development": PROJECT_ROOT / "tests/data/step_replies.tsv",
                "held out": PROJECT_ROOT / "tests/data/step_replies_heldout.tsv"}
#: A test figure this far above cross-validation means the test set is too close to the training data.
SUSPICIOUS_GAP = 0.05


def read_floor(path: Path = FLOOR) -> float:
    return float(yaml.safe_load(path.read_text(encoding="utf-8"))["test_macro_f1"])


def label_table(scores: Scores) -> List[str]:
    lines = [f"{'label':<28}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}"]
    for label, row in sorted(scores.by_label.items()):
        lines.append(f"{label:<28}{row.precision:>10.3f}{row.recall:>8.3f}{row.f1:>8.3f}{row.support:>6}")
    return lines


def summary(name: str, gold: Sequence[str], predicted: Sequence[str]) -> tuple[str, Scores]:
    full = score(gold, predicted)
    intents = score(intent_level(gold), intent_level(predicted))
    line = (f"{name:<34} macro-F1 {full.macro_f1:.3f}  accuracy {full.accuracy:.3f}  "
            f"(intents: macro-F1 {intents.macro_f1:.3f}, accuracy {intents.accuracy:.3f})  "
            f"fallback {full.fallback_share:.1%}  n={full.n}")
    return line, full


def check_leakage(test: Sequence[Example], training: Sequence[Example]) -> int:
    leaks = find_leaks(test, training)
    print(f"== leakage: {len(leaks)} of {len(test)} test messages share ≥ {THRESHOLD:.0%} of their character "
          f"bigrams (Jaccard) with a training example")
    for leak in leaks[:20]:
        print(f"  {leak.similarity:.2f}  test {leak.test.text!r} ({leak.test.label})  ~  "
              f"training {leak.training.text!r} ({leak.training.label})")
    return len(leaks)


def crossval_figures(folds: int, fingerprint: str) -> Dict:
    """Cross-validation predictions of the current sources, from the cache or computed now."""
    from bot.evaluation.crossval import cross_validate, rasa_trainer

    cache = PROJECT_ROOT / "var/nlu_eval" / f"crossval-{folds}-{fingerprint}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    print(f"   ({folds} trainings; cached afterwards in {cache.relative_to(PROJECT_ROOT)})", flush=True)
    result = cross_validate(load_examples(TRAINING), rasa_trainer(PROJECT_ROOT / "config.yml"), k=folds)
    figures = {"gold": result.gold, "predicted": result.predicted, "texts": result.texts,
               "fold_s": result.training_s, "folds": folds}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(figures, ensure_ascii=False), encoding="utf-8")
    return figures


@dataclass
class Evaluation:
    """What a run found: the figures and why it fails, if it does."""

    report: Dict = field(default_factory=dict)
    failures: List[str] = field(default_factory=list)


def evaluate(labels_of: Callable[[Sequence[str]], List[str]], training: Sequence[Example],
             test: Sequence[Example], dev: Sequence[Example], floor: float,
             crossval: Dict | None = None) -> Evaluation:
    """Checks leakage, scores the test and development sets (and cross-validation), and applies the floor."""
    result = Evaluation()
    if check_leakage(test, training):
        result.failures.append("test messages too close to the training data (rewrite the training examples "
                               "named above in other words; never copy test messages into bot/data)")
    print("== NLU figures (full labels: each FAQ topic its own class; nlu_fallback counts as wrong)")
    test_gold = [example.label for example in test]
    test_predicted = labels_of([example.text for example in test])
    line, test_scores = summary("test set (written apart)", test_gold, test_predicted)
    print(line)
    dev_line, dev_scores = summary("development set (ours, not trusted)", [e.label for e in dev],
                                   labels_of([example.text for example in dev]))
    print(dev_line)
    result.report["test"] = {"macro_f1": test_scores.macro_f1, "accuracy": test_scores.accuracy, "n": test_scores.n}
    result.report["dev"] = {"macro_f1": dev_scores.macro_f1, "accuracy": dev_scores.accuracy, "n": dev_scores.n}
    if crossval is not None:
        cv_line, cv_scores = summary(f"{crossval.get('folds', 5)}-fold cross-validation", crossval["gold"],
                                     crossval["predicted"])
        print(cv_line)
        result.report["crossval"] = {"macro_f1": cv_scores.macro_f1, "accuracy": cv_scores.accuracy,
                                     "n": cv_scores.n}
        if test_scores.macro_f1 > cv_scores.macro_f1 + SUSPICIOUS_GAP:
            print(f"warning: the test set scores {test_scores.macro_f1 - cv_scores.macro_f1:+.3f} above "
                  "cross-validation: it may be too close to the training data")
    print("\n".join(label_table(test_scores)))
    print("commonest confusions on the test set (gold → predicted):")
    for gold, predicted, count in confusions(test_gold, test_predicted):
        print(f"  {count:>3}  {gold} → {predicted}")
    result.report["floor"] = floor
    if test_scores.macro_f1 < floor:
        result.failures.append(f"test macro-F1 {test_scores.macro_f1:.3f} is below the floor {floor:.3f} "
                               f"({FLOOR.relative_to(PROJECT_ROOT)})")
    else:
        print(f"floor: test macro-F1 {test_scores.macro_f1:.3f} ≥ {floor:.3f}")
    return result


def check_step_replies(parse: Callable[[Sequence[str]], List[Dict]], result: Evaluation) -> None:
    """Scores the replies to guide steps; a false "solved" fails the run."""
    from bot.evaluation.step_replies import evaluate_step_replies, load_step_replies

    print("== replies to a guide's step")
    for name, path in STEP_REPLIES.items():
        report = evaluate_step_replies(parse, load_step_replies(path))
        print(f"{name} ({path.name}): " + "\n".join(report.lines()))
        result.report[f"step_replies_{name.replace(' ', '_')}"] = {"accuracy": report.accuracy,
                                                                   "false_solved": len(report.false_solved)}
        for row in report.false_solved:
            result.failures.append(f"a reply that does not say solved closes the guide as solved: {row.text!r} "
                                   f"({row.guide} step {row.step}, {row.meaning})")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.cli.nlu_eval", description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="trained model (default: the one of the current sources)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-crossval", action="store_true", help="skip cross-validation")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "results/nlu_eval.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from bot import model_files
    from bot.evaluation import rasa_nlu

    rasa_nlu.quiet_rasa()
    model = rasa_nlu.load_model(args.model or model_files.model_path())
    crossval = None if args.no_crossval else crossval_figures(args.folds, model_files.fingerprint())
    result = evaluate(model.labels, load_examples(TRAINING), load_examples(TEST_SET), load_examples(DEV_SET),
                      read_floor(), crossval)
    check_step_replies(model.parse, result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.report, indent=2), encoding="utf-8")
    for failure in result.failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
