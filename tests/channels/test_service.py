"""The Rasa process's own routes (`bot.channels.service`): `/health`, `/ready`, and `/metrics` for Prometheus.

`/metrics` is driven by a real message through the REST channel and read
with prometheus-client's parser; it must carry neither the sender's id nor
the text.
"""
from __future__ import annotations

import pytest
import requests

from bot.channels.rest import RestInput
from bot.channels.service import ServiceInput
from bot.observability import metrics
from bot.settings import reset_settings_cache
from tests.metrics_reading import parse, value

SENDER = "metrics-probe-7f3a9c"
TEXT = "我的提现卡在审核XYZZY"
TOKEN = "scraper-token-0123456789abcdef"


@pytest.fixture
def metrics_token(monkeypatch):
    monkeypatch.setenv("OKPAY_METRICS_TOKEN", TOKEN)
    reset_settings_cache()
    yield TOKEN
    reset_settings_cache()


def scrape(url: str, **headers: str) -> requests.Response:
    return requests.get(f"{url}/metrics", headers=headers, timeout=5)


def test_health_answers_while_the_process_runs(serve_channels):
    server = serve_channels(ServiceInput())
    answer = requests.get(f"{server.url}/health", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_a_message_moves_the_counters_and_metrics_never_name_its_sender_or_text(serve_channels):
    server = serve_channels(ServiceInput(), RestInput())
    before = parse(scrape(server.url).text)
    sent = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": SENDER, "message": TEXT}, timeout=5)
    assert sent.status_code == 200
    answer = scrape(server.url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    after = parse(answer.text)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("okpay_messages_total", channel="rest") == 1
    assert moved("okpay_turn_duration_seconds_count", channel="rest") == 1
    assert moved("okpay_turn_duration_seconds_sum", channel="rest") > 0
    assert {name for name, _ in after} <= metrics.sample_names()
    for secret in (SENDER, TEXT, "XYZZY", f"rest:{SENDER}"):
        assert secret not in answer.text
    labels = {label for _, pairs in after for label in pairs}
    assert all(SENDER not in text and "XYZZY" not in text for label in labels for text in label)


def test_with_a_token_only_the_scraper_holding_it_reads_the_metrics(serve_channels, metrics_token):
    server = serve_channels(ServiceInput())
    assert scrape(server.url).status_code == 401
    assert scrape(server.url, Authorization="Bearer wrong").status_code == 401
    answer = scrape(server.url, Authorization=f"Bearer {metrics_token}")
    assert answer.status_code == 200 and "okpay_messages_total" in answer.text
    assert requests.get(f"{server.url}/health", timeout=5).status_code == 200  # probes need no token
