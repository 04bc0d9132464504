"""The real processes (Rasa, the action server, the console), at DEBUG, log only JSON lines that keep secrets.

One stack for the module (Rasa loads its model once, about 20 s here), with
every level at DEBUG (ours, Rasa's LOG_LEVEL, the libraries'): DEBUG is where
Rasa and Sanic quote messages, slots and URLs. A user writes a message that
opens a guide (so the action server runs an action) carrying a distinctive
text, a card number, a password and a Telegram bot token in a URL; every
process's log file is then read.
"""
from __future__ import annotations

import json
from typing import Dict, List

import pytest
import requests

from bot.cli.serve import running_stack
from bot.logs import hashing
from bot.model_files import model_path
from bot.settings import Settings
from tests.servers import free_port

SENDER = "logs-distinct-sender-5731"
DISTINCT = "qzvlogs-distinct-words"
CARD = "6222020200112233445"
PASSWORD = "Hunter2passLogs"
TOKEN = "AAFakeTelegramTokenForLogsabcdefghijklmnop"
MESSAGE = (f"付款失败了 {DISTINCT} 卡号{CARD} 密码是{PASSWORD} "
           f"https://api.telegram.org/bot123456789:{TOKEN}/sendMessage?chat_id=1")
NEVER = (DISTINCT, "qzvlogs", CARD, PASSWORD, TOKEN, SENDER)
FIELDS = ("timestamp", "level", "process", "logger", "event")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run scripts/train (scripts/test does it first)")
    home = tmp_path_factory.mktemp("logs")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), console_port=free_port(),
                        tracker_db=home / "tracker.db", ticket_db=home / "tickets.db", log_dir=home / "log",
                        callback_url=f"http://127.0.0.1:{free_port()}/bot", log_level="DEBUG", log_format="",
                        log_hash_key="", process_name="")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LOG_LEVEL", "DEBUG")
        env.setenv("LOG_LEVEL_LIBRARIES", "DEBUG")
        with running_stack(settings, model) as running:
            answer = requests.post(f"{running.rasa_url}/webhooks/rest/webhook",
                                   json={"sender": SENDER, "message": MESSAGE}, timeout=60)
            assert answer.status_code == 200 and answer.json(), answer.text
            yield running


def log_lines(stack, name: str) -> List[Dict]:
    raw = (stack.settings.resolve(stack.settings.log_dir) / f"{name}.log").read_text(encoding="utf-8")
    lines = []
    for number, line in enumerate(raw.splitlines(), 1):
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"{name}.log line {number} is not JSON: {line[:200]}")
    return lines


def expected_hash(stack) -> str:
    """The hash of the conversation `rest:<sender>` with the install's kept key (no key set: var/log_hash_key)."""
    import hashlib
    import hmac

    key = (stack.settings.resolve(stack.settings.tracker_db).parent / hashing.KEY_FILE).read_text().strip()
    return hmac.new(key.encode(), f"rest:{SENDER}".encode(), hashlib.sha256).hexdigest()[:16]


@pytest.mark.parametrize("name", ["rasa", "actions", "console"])
def test_each_process_writes_only_json_lines_with_the_fields(stack, name):
    lines = log_lines(stack, name)
    assert lines, f"{name} logged nothing"
    for line in lines:
        assert isinstance(line, dict) and all(isinstance(line.get(field), str) for field in FIELDS), line
        assert line["process"] == name and line["timestamp"].endswith("Z")
    assert any(line["level"] == "DEBUG" for line in lines) or name == "console"


@pytest.mark.parametrize("name", ["rasa", "actions", "console"])
def test_no_line_shows_the_text_a_secret_the_token_or_the_sender(stack, name):
    raw = (stack.settings.resolve(stack.settings.log_dir) / f"{name}.log").read_text(encoding="utf-8").lower()
    for never in NEVER:  # lower case too: Rasa's NLU lower-cases the text it quotes
        assert never.lower() not in raw, f"{name}.log shows {never}"


def test_the_conversation_s_hash_is_the_same_in_rasa_s_and_the_action_server_s_lines(stack):
    conversation = expected_hash(stack)
    rasa = [line for line in log_lines(stack, "rasa") if line.get("conversation") == conversation]
    actions = [line for line in log_lines(stack, "actions") if line.get("conversation") == conversation]
    assert any(line["logger"] == "rasa.core.processor" for line in rasa)
    assert any("action_guide_start" in line["event"] for line in actions)
    # Rasa quotes the conversation id in its own lines: there it is the same hash.
    assert any(f"conv:{conversation}" in line["event"] for line in rasa)
    # The secrets were found and hidden, and the lines say so without them.
    assert any(line["event"].startswith("privacy: hid bank_card, password") for line in rasa)
