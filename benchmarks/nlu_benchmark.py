"""NLU benchmark: our pipeline against two anchors, on the test set and by cross-validation.

Trains, on the same training data (bot/data/nlu), in one run:
  1. our pipeline (config.yml);
  2. Rasa's stock Chinese pipeline (jieba + CountVectors + DIET + ResponseSelector,
     benchmarks/nlu_candidates/stock_chinese.yml);
  3. TF-IDF character 1–3-grams + logistic regression (scikit-learn);
plus any further Rasa configs given with --candidate (model selection). For
each it prints macro-F1 and accuracy on the test set (tests/data/nlu_test.yml,
written apart from the training data) and by 5-fold cross-validation of the
training data, training time on all the data and parse time per message.
Labels are full labels (each FAQ topic `faq/<topic>` its own class); a
prediction of `nlu_fallback` counts as wrong.

    .venv/bin/python -m benchmarks.nlu_benchmark [--folds 5] [--no-crossval] [--candidate path.yml ...]

With cross-validation it trains every Rasa pipeline six times: minutes for
ours, but about two hours for the stock pipeline (20 min a training on 2
cores); `--quick` cross-validates only the systems that train in under two
minutes.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bot.evaluation.crossval import TrainAndPredict, cross_validate, rasa_trainer  # noqa: E402
from bot.evaluation.examples import Example, load_examples  # noqa: E402
from bot.evaluation.metrics import score  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STOCK_CHINESE = ROOT / "benchmarks/nlu_candidates/stock_chinese.yml"


@dataclass
class Row:
    name: str
    test_f1: float
    test_acc: float
    cv_f1: float | None
    cv_acc: float | None
    training_s: float
    parse_ms: float


def fit_tfidf(training: Sequence[Example]):
    """TF-IDF character 1–3-grams + logistic regression (the anchor), fitted on `training`."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from bot.nlu.normalize import normalize

    model = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), preprocessor=normalize, sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=10, random_state=0),
    )
    return model.fit([e.text for e in training], [e.label for e in training])


def tfidf_trainer() -> TrainAndPredict:
    def train_and_predict(training: Sequence[Example], texts: Sequence[str], workdir: Path) -> List[str]:
        return list(fit_tfidf(training).predict(list(texts)))

    return train_and_predict


def timed_tfidf(training: Sequence[Example], texts: Sequence[str]) -> tuple[List[str], float, float]:
    started = time.perf_counter()
    model = fit_tfidf(training)
    training_s = time.perf_counter() - started
    started = time.perf_counter()
    labels = [str(label) for label in model.predict(list(texts))]
    return labels, training_s, (time.perf_counter() - started) / len(texts) * 1000


def timed_rasa(config: Path) -> Callable[[Sequence[Example], Sequence[str]], tuple[List[str], float, float]]:
    from bot.evaluation import rasa_nlu

    def run(training: Sequence[Example], texts: Sequence[str]) -> tuple[List[str], float, float]:
        with tempfile.TemporaryDirectory(prefix="nlu-benchmark-") as temporary:
            model = rasa_nlu.train(config, training, Path(temporary))
            model.labels(texts[:5])  # warm-up: the first parse builds TensorFlow's graph
            started = time.perf_counter()
            labels = model.labels(texts)
            return labels, model.training_s, (time.perf_counter() - started) / len(texts) * 1000

    return run


def main(argv: List[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-crossval", action="store_true")
    parser.add_argument("--candidate", action="append", default=[], help="another Rasa config to compare")
    parser.add_argument("--only-candidates", action="store_true", help="skip the three default systems")
    parser.add_argument("--no-stock", action="store_true", help="leave out the stock pipeline (slow to train)")
    parser.add_argument("--quick", action="store_true",
                        help="cross-validate only the systems whose training took under 2 minutes")
    args = parser.parse_args(argv)
    from bot.evaluation.rasa_nlu import quiet_rasa

    quiet_rasa()
    training = load_examples(ROOT / "bot/data/nlu")
    test = load_examples(ROOT / "tests/data/nlu_test.yml")
    texts, gold = [e.text for e in test], [e.label for e in test]
    systems: list[tuple[str, Callable, TrainAndPredict]] = []
    if not args.only_candidates:
        systems += [
            ("ours (config.yml)", timed_rasa(ROOT / "config.yml"), rasa_trainer(ROOT / "config.yml")),
            ("tf-idf char + logreg", timed_tfidf, tfidf_trainer()),
        ]
        if not args.no_stock:
            systems.insert(1, ("stock Rasa Chinese", timed_rasa(STOCK_CHINESE), rasa_trainer(STOCK_CHINESE)))
    for candidate in args.candidate:
        path = Path(candidate).resolve()
        systems.append((path.stem, timed_rasa(path), rasa_trainer(path)))
    rows = []
    for name, run, trainer in systems:
        print(f"-- {name}", flush=True)
        predicted, training_s, parse_ms = run(training, texts)
        test_scores = score(gold, predicted)
        print(f"   test macro-F1 {test_scores.macro_f1:.3f}, accuracy {test_scores.accuracy:.3f}, "
              f"training {training_s:.0f} s, parse {parse_ms:.1f} ms/message", flush=True)
        cv_f1 = cv_acc = None
        if not args.no_crossval and not (args.quick and training_s > 120):
            result = cross_validate(training, trainer, k=args.folds)
            cv = score(result.gold, result.predicted)
            cv_f1, cv_acc = cv.macro_f1, cv.accuracy
        rows.append(Row(name, test_scores.macro_f1, test_scores.accuracy, cv_f1, cv_acc, training_s, parse_ms))
        if cv_f1 is not None:
            print(f"   cv macro-F1 {cv_f1:.3f}, accuracy {cv_acc:.3f}", flush=True)
    print(f"\nNLU benchmark: {len(training)} training examples, {len(test)} test messages "
          f"({len(set(gold))} labels, FAQ topics separate)\n")
    print(f"{'system':<26}{'test F1':>9}{'test acc':>10}{'cv F1':>8}{'cv acc':>8}{'train s':>9}{'parse ms':>10}")
    for row in rows:
        cv_f1 = f"{row.cv_f1:>8.3f}" if row.cv_f1 is not None else f"{'–':>8}"
        cv_acc = f"{row.cv_acc:>8.3f}" if row.cv_acc is not None else f"{'–':>8}"
        print(f"{row.name:<26}{row.test_f1:>9.3f}{row.test_acc:>10.3f}{cv_f1}{cv_acc}{row.training_s:>9.1f}"
              f"{row.parse_ms:>10.2f}")


if __name__ == "__main__":
    main()
