"""The Grafana dashboard and the Prometheus scrape example read only metrics our registry defines.

A renamed metric or label, or a dashboard expression with a typo, fails here
instead of showing an empty panel in production.
"""
from __future__ import annotations

import json
import re
from typing import Dict, Iterator, List

import pytest
import yaml

from bot.observability import metrics
from bot.settings import Settings
from tests.conftest import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "okpay-assistant.json"
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
#: A metric name in a PromQL expression: ours, or the process collector's.
METRIC = re.compile(r"\b((?:okpay|process)_[a-z0-9_]+)\b")
#: A selector of one of our metrics: `okpay_x{a="1", b=~"2"}`.
SELECTOR = re.compile(r"\b(okpay_[a-z0-9_]+)\{([^}]*)\}")
#: The panels the runbook (docs/metrics.md) promises, by a word of their title.
PANELS = ("Messages per second", "Turn latency", "Intents", "Fallback rate", "Guide steps", "Handoffs",
          "Queue length", "Tickets opened", "Webhook rejections", "lock waits")


@pytest.fixture(scope="module")
def dashboard() -> Dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def expressions(dashboard: Dict) -> Iterator[str]:
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable.get("type") == "query":
            yield variable["definition"]


def labels_of(sample: str) -> List[str]:
    """The label names of one of our families, from the sample name its expression uses."""
    family = next(family for family in metrics.REGISTRY.collect()
                  if sample == family.name or sample.startswith(family.name + "_"))
    collector = metrics.REGISTRY._names_to_collectors[family.name + ("_total" if family.type == "counter" else "")]
    extra = ["le"] if sample.endswith("_bucket") else []
    return list(collector._labelnames) + extra


def test_every_metric_the_dashboard_reads_is_defined_by_our_registry(dashboard):
    defined = metrics.sample_names()
    used = {name for expression in expressions(dashboard) for name in METRIC.findall(expression)}
    assert used, "no expression found"
    assert used <= defined, f"not in bot.observability.metrics: {sorted(used - defined)}"


def test_every_label_the_dashboard_selects_on_exists(dashboard):
    for expression in expressions(dashboard):
        for sample, selector in SELECTOR.findall(expression):
            for label in re.findall(r"(\w+)\s*=~?", selector):
                assert label in labels_of(sample), (sample, label)


def test_every_metric_of_ours_has_a_panel(dashboard):
    used = " ".join(expressions(dashboard))
    ours = [family.name for family in metrics.REGISTRY.collect() if family.name.startswith("okpay_")]
    assert len(ours) >= 15
    missing = [name for name in ours if name not in used]
    assert not missing, f"metrics without a panel: {missing}"


def test_the_dashboard_has_the_promised_panels_on_one_data_source(dashboard):
    titles = " | ".join(panel["title"] for panel in dashboard["panels"])
    for word in PANELS:
        assert word in titles, word
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


def test_the_scrape_example_reaches_every_replica_of_the_replicated_layout():
    config = yaml.safe_load(SCRAPE_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    settings = Settings(deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
                        redis_url="redis://127.0.0.1:6379/0")
    expected = {"okpay-rasa": settings.rasa_replica_ports, "okpay-actions": settings.action_replica_ports,
                "okpay-console": [settings.console_port]}
    assert set(jobs) == set(expected)
    for name, ports in expected.items():
        assert jobs[name].get("metrics_path", "/metrics") == "/metrics"
        [targets] = [static["targets"] for static in jobs[name]["static_configs"]]
        assert targets == [f"127.0.0.1:{port}" for port in ports], name
