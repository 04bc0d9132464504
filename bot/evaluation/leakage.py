"""Whether a test message is too close to a training example to measure anything.

Two messages are compared by the Jaccard index of their sets of character
bigrams after normalisation (Traditional → Simplified, full-width → ASCII,
lower case) with punctuation, spaces and symbols removed. A test message whose
index with any training example reaches the threshold (0.5) is a leak: it
measures recall of our own phrasing, not understanding of users.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Sequence

from bot.evaluation.examples import Example
from bot.nlu.normalize import normalize

THRESHOLD = 0.5


def comparable(text: str) -> str:
    """The normalised letters, digits and ideographs of `text` (no punctuation, spaces or emoji)."""
    return "".join(char for char in normalize(text) if unicodedata.category(char)[0] in "LN")


def bigrams(text: str) -> FrozenSet[str]:
    """Character bigrams of the comparable text; a one-character text is its own set."""
    chars = comparable(text)
    if len(chars) < 2:
        return frozenset({chars}) if chars else frozenset()
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def jaccard(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


@dataclass(frozen=True)
class Leak:
    test: Example
    training: Example
    similarity: float


class BigramIndex:
    """Training examples indexed by bigram, to find the closest ones to a message quickly."""

    def __init__(self, examples: Sequence[Example]):
        self._examples = list(examples)
        self._grams = [bigrams(example.text) for example in self._examples]
        self._postings: Dict[str, List[int]] = defaultdict(list)
        for position, grams in enumerate(self._grams):
            for gram in grams:
                self._postings[gram].append(position)

    def closest(self, text: str) -> tuple[Example | None, float]:
        """The most similar training example to `text` and its Jaccard index."""
        grams = bigrams(text)
        shared: Dict[int, int] = defaultdict(int)
        for gram in grams:
            for position in self._postings.get(gram, ()):
                shared[position] += 1
        best, best_score = None, 0.0
        for position, count in shared.items():
            score = count / (len(grams) + len(self._grams[position]) - count)
            if score > best_score:
                best, best_score = self._examples[position], score
        return best, best_score


def find_leaks(test: Sequence[Example], training: Sequence[Example], threshold: float = THRESHOLD) -> List[Leak]:
    """Test messages whose closest training example reaches `threshold`, closest first."""
    index = BigramIndex(training)
    leaks = []
    for example in test:
        closest, score = index.closest(example.text)
        if closest is not None and score >= threshold:
            leaks.append(Leak(example, closest, score))
    return sorted(leaks, key=lambda leak: -leak.similarity)

