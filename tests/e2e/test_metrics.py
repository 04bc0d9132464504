"""`GET /metrics` on the three real processes (Rasa with the model, the action server, the console): Prometheus
text that a user's message moves, and that never names the user or repeats what they wrote."""
from __future__ import annotations

from typing import Dict, Tuple

import pytest
import requests

from tests.metrics_reading import Key, parse, value

pytestmark = pytest.mark.e2e

SENDER = "metrics-e2e-4b7c1d"
TEXT = "付款一直失败"


def scrape(url: str) -> Tuple[str, Dict[Key, float]]:
    answer = requests.get(f"{url}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return answer.text, parse(answer.text)


def test_every_process_answers_and_a_message_moves_its_counters_without_naming_the_user(stack):
    settings = stack.settings
    urls = {"rasa": stack.rasa_url, "actions": f"http://{settings.action_host}:{settings.action_port}",
            "console": stack.console_url}
    before = {name: scrape(url)[1] for name, url in urls.items()}
    answer = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": SENDER, "message": TEXT},
                           timeout=60)
    assert answer.status_code == 200 and answer.json()
    after = {name: scrape(url) for name, url in urls.items()}

    def moved(process: str, name: str, **labels: str) -> float:
        return value(after[process][1], name, **labels) - value(before[process], name, **labels)

    assert moved("rasa", "okpay_messages_total", channel="rest") == 1
    assert moved("rasa", "okpay_turn_duration_seconds_count", channel="rest") == 1
    assert moved("rasa", "okpay_intents_total", intent="payment_failed") == 1
    assert moved("rasa", "okpay_lock_wait_seconds_count") >= 1
    assert moved("actions", "okpay_guide_steps_total", guide="payment_failed", step="1") == 1
    assert ("okpay_queue_length", frozenset({("queue", "general")})) in after["console"][1]
    for process, (text, _) in after.items():
        for private in (SENDER, TEXT, f"rest:{SENDER}"):
            assert private not in text, (process, private)
    for process in ("rasa", "actions", "console"):
        health = requests.get(f"{urls[process]}/health", timeout=10)
        ready = requests.get(f"{urls[process]}/ready", timeout=10)
        assert (health.status_code, ready.status_code) == (200, 200), process
