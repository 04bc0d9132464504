"""NLU benchmark: our pipeline against two anchors, on the held-out file.

Trains, on the same training data (bot/data/nlu), in one run:
  1. our pipeline (config.yml);
  2. Rasa's stock `rasa init` configuration (default pipeline, language en);
  3. TF-IDF character n-grams + logistic regression (scikit-learn);
and prints accuracy and macro-F1 on tests/data/nlu_holdout.yml, by full label
(each FAQ topic `faq/<topic>` is its own class) and by intent, with training
time (measured without Rasa's training cache). A prediction of `nlu_fallback`
counts as wrong; the share of such predictions is its own column. Macro-F1
averages over the held-out labels.

    .venv/bin/python -m benchmarks.nlu_benchmark
"""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# Train from scratch: a cached component would make training time meaningless.
_CACHE = tempfile.mkdtemp(prefix="nlu-benchmark-cache-")
os.environ["RASA_CACHE_DIRECTORY"] = _CACHE

ROOT = Path(__file__).resolve().parent.parent
STOCK_RASA_INIT_CONFIG = """\
recipe: default.v1
assistant_id: stock-rasa-init
language: en
pipeline:
policies:
"""

Example = Tuple[str, str]  # (text, full label)


def load_examples(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        label = message.get("intent")
        if message.get("intent_response_key"):
            label = message.get("intent_response_key")
        examples.append((message.get("text"), label))
    return examples


def base_intent(label: str) -> str:
    return label.split("/", 1)[0]


def scores(gold: List[str], predicted: List[str]) -> Tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold))
    return (
        accuracy_score(gold, predicted),
        f1_score(gold, predicted, labels=labels, average="macro", zero_division=0),
    )


def train_rasa(config_text: str, workdir: Path) -> Tuple[Callable[[List[str]], List[str]], float]:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    config = workdir / "config.yml"
    config.write_text(config_text, encoding="utf-8")
    started = time.perf_counter()
    model = train_nlu(
        str(config), str(ROOT / "bot/data/nlu"), output=str(workdir), domain=str(ROOT / "domain.yml")
    )
    seconds = time.perf_counter() - started
    agent = Agent.load(model)

    def predict(texts: List[str]) -> List[str]:
        async def run() -> List[str]:
            labels = []
            for text in texts:
                parsed = await agent.parse_message(text)
                label = parsed["intent"]["name"]
                if label == "faq":
                    selected = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
                    label = selected.get("intent_response_key") or label
                labels.append(label)
            return labels

        return asyncio.run(run())

    return predict, seconds


def train_tfidf(train: List[Example]) -> Tuple[Callable[[List[str]], List[str]], float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from bot.nlu.normalize import normalize

    model = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), preprocessor=normalize, sublinear_tf=True),
        LogisticRegression(max_iter=2000, C=10, random_state=0),
    )
    started = time.perf_counter()
    model.fit([text for text, _ in train], [label for _, label in train])
    return (lambda texts: list(model.predict(texts))), time.perf_counter() - started


def main() -> None:
    train = load_examples(ROOT / "bot/data/nlu")
    held_out = load_examples(ROOT / "tests/data/nlu_holdout.yml")
    texts = [text for text, _ in held_out]
    gold = [label for _, label in held_out]
    systems: Dict[str, Tuple[Callable[[List[str]], List[str]], float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ours_dir, stock_dir = Path(tmp, "ours"), Path(tmp, "stock")
        ours_dir.mkdir()
        stock_dir.mkdir()
        systems["ours (config.yml)"] = train_rasa((ROOT / "config.yml").read_text(encoding="utf-8"), ours_dir)
        systems["stock rasa init"] = train_rasa(STOCK_RASA_INIT_CONFIG, stock_dir)
        systems["tf-idf char + logreg"] = train_tfidf(train)
        rows = []
        for name, (predict, seconds) in systems.items():
            predicted = predict(texts)
            full_acc, full_f1 = scores(gold, predicted)
            intent_acc, intent_f1 = scores([base_intent(g) for g in gold], [base_intent(p) for p in predicted])
            fallback = sum(p == "nlu_fallback" for p in predicted) / len(predicted)
            rows.append((name, full_acc, full_f1, intent_acc, intent_f1, fallback, seconds))
    print(f"\nNLU benchmark: {len(train)} training examples, {len(held_out)} held-out messages, "
          f"{len(set(gold))} labels (FAQ topics separate)\n")
    print(
        f"{'system':<24}{'acc':>8}{'macro-F1':>10}{'intent acc':>12}{'intent F1':>11}"
        f"{'fallback':>10}{'train s':>9}"
    )
    for name, full_acc, full_f1, intent_acc, intent_f1, fallback, seconds in rows:
        print(
            f"{name:<24}{full_acc:>8.3f}{full_f1:>10.3f}{intent_acc:>12.3f}{intent_f1:>11.3f}"
            f"{fallback:>10.1%}{seconds:>9.1f}"
        )
    shutil.rmtree(_CACHE, ignore_errors=True)


if __name__ == "__main__":
    main()
