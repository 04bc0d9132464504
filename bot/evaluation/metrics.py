"""Accuracy, macro-F1, per-label figures and the commonest confusions."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from bot.evaluation.examples import base_intent

#: What Rasa's FallbackClassifier predicts when it is unsure; always wrong here.
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class LabelScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    by_label: Dict[str, LabelScore]
    fallback_share: float
    n: int


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def score(gold: Sequence[str], predicted: Sequence[str]) -> Scores:
    """Scores over the labels present in `gold` (macro-F1 averages those)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    if not gold:
        raise ValueError("nothing to score")
    labels = sorted(set(gold))
    by_label = {}
    for label in labels:
        true_positive = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        predicted_n = sum(p == label for p in predicted)
        support = sum(g == label for g in gold)
        precision = true_positive / predicted_n if predicted_n else 0.0
        recall = true_positive / support
        by_label[label] = LabelScore(precision, recall, _f1(precision, recall), support)
    return Scores(
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        macro_f1=sum(s.f1 for s in by_label.values()) / len(by_label),
        by_label=by_label,
        fallback_share=sum(p == FALLBACK for p in predicted) / len(predicted),
        n=len(gold),
    )


def intent_level(labels: Sequence[str]) -> List[str]:
    """Full labels reduced to intents (`faq/fees` → `faq`)."""
    return [base_intent(label) for label in labels]


def confusions(gold: Sequence[str], predicted: Sequence[str], top: int = 5) -> List[Tuple[str, str, int]]:
    """The commonest (gold, predicted) mistakes, most frequent first."""
    counts = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return [(g, p, n) for (g, p), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]]
