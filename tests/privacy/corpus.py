"""The redaction corpus (tests/data/redaction_corpus.yml) and how `redact` scores on it.

A secret counts as hidden when its text is gone from the redacted message and
its kind is among the kinds found; an ordinary message is a false positive
when `redact` changes it at all. Used by tests/privacy/test_redaction_corpus.py
and benchmarks/redaction_benchmark.py.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import yaml

from bot.privacy import KINDS, Redaction, redact

CORPUS = Path(__file__).resolve().parent.parent / "data" / "redaction_corpus.yml"


@dataclass(frozen=True)
class Secret:
    kind: str
    text: str
    secret: str


@dataclass(frozen=True)
class Corpus:
    secrets: Tuple[Secret, ...]
    ordinary: Tuple[str, ...]


@dataclass
class Scores:
    """Secrets hidden per kind, out of how many, and the ordinary messages changed."""

    hidden: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    missed: List[Tuple[Secret, str]] = field(default_factory=list)
    changed: List[Tuple[str, str]] = field(default_factory=list)
    ordinary: int = 0

    def detection(self, kind: str | None = None) -> float:
        """Share of the secrets (of one kind, or all) hidden."""
        hidden = self.hidden[kind] if kind else sum(self.hidden.values())
        total = self.total[kind] if kind else sum(self.total.values())
        return hidden / total if total else 1.0

    @property
    def false_positive_rate(self) -> float:
        return len(self.changed) / self.ordinary if self.ordinary else 0.0


def load(path: Path = CORPUS) -> Corpus:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Corpus(tuple(Secret(**entry) for entry in data["secrets"]), tuple(data["ordinary"]))


def hidden(secret: Secret, result: Redaction) -> bool:
    return secret.secret not in result.text and secret.kind in result.kinds


def score(corpus: Corpus, redactor: Callable[[str], Redaction] = redact) -> Scores:
    scores = Scores(ordinary=len(corpus.ordinary))
    for secret in corpus.secrets:
        result = redactor(secret.text)
        scores.total[secret.kind] += 1
        if hidden(secret, result):
            scores.hidden[secret.kind] += 1
        else:
            scores.missed.append((secret, result.text))
    for text in corpus.ordinary:
        result = redactor(text)
        if result.text != text:
            scores.changed.append((text, result.text))
    return scores


def by_kind(scores: Scores) -> Dict[str, Tuple[int, int]]:
    """(hidden, total) for each kind in the corpus, in the order of `KINDS`."""
    return {kind: (scores.hidden[kind], scores.total[kind]) for kind in KINDS if scores.total[kind]}
