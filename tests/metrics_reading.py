"""Reading our Prometheus metrics in tests: a snapshot of the registry, and `/metrics` text parsed back.

The metrics are process-wide counters, so a test compares a snapshot taken
before its event with the values after it (`Snapshot.delta`).
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

from prometheus_client.parser import text_string_to_metric_families

from bot.observability.metrics import REGISTRY

Key = Tuple[str, FrozenSet[Tuple[str, str]]]


def samples_of_registry() -> Dict[Key, float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in REGISTRY.collect() for sample in family.samples}


def parse(text: str) -> Dict[Key, float]:
    """`/metrics` text in Prometheus's format (parsed by prometheus-client's own parser) as sample → value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Dict[Key, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


class Snapshot:
    """The registry's values now; `delta(name, **labels)` says how much one sample moved since."""

    def __init__(self) -> None:
        self.before = samples_of_registry()

    def delta(self, name: str, **labels: str) -> float:
        return value(samples_of_registry(), name, **labels) - value(self.before, name, **labels)
