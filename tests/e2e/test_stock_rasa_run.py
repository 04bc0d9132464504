"""Rasa's own `rasa run`, with the project's model, endpoints.yml and credentials.yml and none of our server's
start-up code: it serves the guides and stores no secret a user typed (issue 15: plug-in points, not patches)."""
from __future__ import annotations

import json

import pytest
import requests

from bot.runtime.api_auth import api_headers
from bot.settings import PROJECT_ROOT
from tests.servers import stock_rasa_run

pytestmark = pytest.mark.e2e

CARD = "6222020200112233445"


@pytest.fixture(scope="module")
def stock_rasa(stack):
    """`python -m rasa run` beside the stack, on the stack's action server and tracker database."""
    with stock_rasa_run(stack, PROJECT_ROOT / "endpoints.yml", PROJECT_ROOT / "credentials.yml") as (url, _, _):
        yield url


def test_stock_rasa_run_serves_a_guide_and_stores_no_card_number(stack, stock_rasa):
    answer = requests.post(f"{stock_rasa}/webhooks/rest/webhook",
                           json={"sender": "stock-run-1", "message": f"付款一直失败，我的卡号是{CARD}"}, timeout=60)
    assert answer.status_code == 200
    texts = [message.get("text") or "" for message in answer.json()]
    assert texts and CARD not in json.dumps(texts, ensure_ascii=False)
    events = requests.get(f"{stock_rasa}/webhooks/okpay_events/conversations/rest:stock-run-1/events",
                          headers=api_headers(stack.env["OKPAY_RASA_TOKEN"]), timeout=10).json()["events"]
    stored = json.dumps(events, ensure_ascii=False)
    assert CARD not in stored and CARD[-4:] not in stored
    [user] = [event for event in events if event["event"] == "user"]
    assert "[已隐藏]" in user["text"] and user["parse_data"]["intent"]["name"] == "payment_failed"
    assert "bank_card" in user["metadata"]["okpay_redacted"]
    # The guide's first step came from the action server, as with our own server.
    assert any(event["event"] == "action" and event.get("name") == "action_guide_start" for event in events), [
        event.get("name") for event in events if event["event"] == "action"]


def test_stock_rasa_run_serves_health_and_metrics_from_our_credentials(stock_rasa):
    """`/health` and `/metrics` come from a channel's blueprint (credentials.yml): plain `rasa run` has them too."""
    from tests.metrics_reading import parse, value

    assert requests.get(f"{stock_rasa}/health", timeout=10).json() == {"status": "ok"}
    before = parse(requests.get(f"{stock_rasa}/metrics", timeout=10).text)
    requests.post(f"{stock_rasa}/webhooks/rest/webhook", json={"sender": "stock-run-2", "message": "你好"}, timeout=60)
    after = parse(requests.get(f"{stock_rasa}/metrics", timeout=10).text)
    assert value(after, "okpay_messages_total", channel="rest") - value(before, "okpay_messages_total", channel="rest") == 1
