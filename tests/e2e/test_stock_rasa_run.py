"""Rasa's own `rasa run`, with the project's model, endpoints.yml and credentials.yml and none of our server's
start-up code: it serves the guides and stores no secret a user typed (issue 15: plug-in points, not patches)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from bot.cli.serve import free_port
from bot.model_files import model_path
from bot.runtime.api_auth import api_headers
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

CARD = "6222020200112233445"


@pytest.fixture(scope="module")
def stock_rasa(stack, tmp_path_factory):
    """`python -m rasa run` beside the stack, on the stack's action server and tracker database."""
    port = free_port()
    log = tmp_path_factory.mktemp("stock") / "rasa.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(model_path()), "--endpoints", "endpoints.yml",
             "--credentials", "credentials.yml", "--interface", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT, env=stack.env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/webhooks/rest/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"stock rasa run did not start: {log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


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
