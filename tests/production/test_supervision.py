"""`scripts/run --replicated` keeps the stack up: supervisord restarts a killed Rasa replica while the other
answers the public URL, and gives up on a process that keeps crashing (the console, its port taken) without
taking the others down.

A stack of its own, started as `scripts/run --replicated` starts it (crashed processes restarted); the
`replicated` stack of the other production tests leaves restarts to its tests.
"""
from __future__ import annotations

import itertools
import os
import re
import secrets
import signal
import socket
import time
import uuid
from typing import Iterator

import pytest
import requests

from bot.cli.serve import Stack, answers, running_stack
from bot.model_files import model_path
from bot.settings import Settings
from tests.fakes.telegram_api import FakeTelegramAPI, text_update
from tests.servers import replicated_ports

TELEGRAM_SECRET = "supervision-telegram-secret"
_chats = itertools.count(810_000)


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[FakeTelegramAPI]:
    api = FakeTelegramAPI()
    yield api
    api.close()


@pytest.fixture(scope="module")
def supervised(tmp_path_factory, private_postgres, private_redis, telegram_api) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("supervised")
    settings = Settings(**replicated_ports(dict(
        environment="production", rasa_token=secrets.token_urlsafe(32), action_secret=secrets.token_urlsafe(32),
        deployment="replicated", database_url=f"{private_postgres.url}/okpay_supervised",
        # A Redis database of its own: the `replicated` stack's event stream and socket.io stay apart.
        redis_url=f"redis://127.0.0.1:{private_redis.port}/1", lock_key_prefix="okpaysup" + uuid.uuid4().hex[:8],
        tracker_db=home / "unused.db", log_dir=home / "log", lock_lifetime_s=10, service_hours="00:00-23:59",
        telegram_token=telegram_api.token, telegram_secret_token=TELEGRAM_SECRET,
        telegram_api_url=telegram_api.url, restart_retries=3,
    ), rasa_replicas=2, action_replicas=2))
    with running_stack(settings, model_path()) as stack:  # restart_crashed: as scripts/run --replicated
        yield stack


def answered_publicly(stack: Stack, api: FakeTelegramAPI, text: str) -> str:
    """`text` from a new Telegram chat through nginx's public listener; the bot's replies, one a line."""
    chat = next(_chats)
    response = requests.post(f"{stack.public_url}/webhooks/telegram/webhook", json=text_update(chat, text),
                             headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=60)
    assert response.status_code == 200, response.text
    return "\n".join(body["text"] for body in api.wait_for(chat, 1, timeout=30))


def supervisord_lines(stack: Stack, pattern: str) -> list:
    log = stack.settings.resolve(stack.settings.log_dir) / "supervisord.log"
    return [line for line in log.read_text(encoding="utf-8").splitlines() if re.search(pattern, line)]


def test_a_killed_rasa_replica_is_restarted_while_the_other_answers_the_public_url(supervised, telegram_api, domain):
    greeting = domain["responses"]["utter_greet"][0]["text"]
    assert greeting in answered_publicly(supervised, telegram_api, "你好")
    others = {name: pid for name, pid in supervised.pids().items() if name != "rasa-1"}
    killed = supervised.kill("rasa-1")  # SIGKILL, no goodbye
    ready_url = supervised.specs["rasa-1"].ready_url
    answered_while_down = 0
    deadline = time.monotonic() + supervised.settings.start_timeout
    while not answers(ready_url):  # loading the model again takes a while: users keep being answered meanwhile
        assert time.monotonic() < deadline, "rasa-1 was not restarted"
        assert greeting in answered_publicly(supervised, telegram_api, "你好")
        answered_while_down += 1
        time.sleep(0.5)
    assert answered_while_down >= 3
    # (STARTING until it has been up for its startsecs, which cover loading the model.)
    assert supervised.state("rasa-1") in ("STARTING", "RUNNING") and supervised.pid("rasa-1") not in (0, killed)
    assert {name: pid for name, pid in supervised.pids().items() if name != "rasa-1"} == others
    assert supervisord_lines(supervised, r"exited: rasa-1 \(terminated by SIGKILL; not expected\)")
    assert greeting in answered_publicly(supervised, telegram_api, "你好")


def test_a_console_that_keeps_crashing_is_backed_off_to_fatal_and_the_rest_serves(supervised, telegram_api):
    settings = supervised.settings
    # Up for its startsecs first: killed sooner, the kill itself would count as a failed start.
    deadline = time.monotonic() + 60
    while supervised.state("console") != "RUNNING":
        assert time.monotonic() < deadline, f"the console is {supervised.state('console')}"
        time.sleep(0.2)
    others = {name: pid for name, pid in supervised.pids().items() if name != "console"}
    spawned_before = len(supervisord_lines(supervised, r"spawned: 'console'"))
    os.kill(supervised.pid("console"), signal.SIGKILL)
    # Its port taken by someone else: every start supervisord tries fails (address in use).
    deadline, squatter = time.monotonic() + 5, None
    while squatter is None:
        try:
            squatter = socket.create_server((settings.console_host, settings.console_port))
        except OSError:
            assert time.monotonic() < deadline, "the killed console's port never came free"
            time.sleep(0.005)
    try:
        deadline = time.monotonic() + 180
        while supervised.state("console") != "FATAL":
            assert time.monotonic() < deadline, f"the console is still {supervised.state('console')}"
            # Users go on: a guide's first step (a custom action, through nginx to the action servers).
            assert "第1步" in answered_publicly(supervised, telegram_api, "付款失败了")
            time.sleep(0.5)
        # The start after the kill and 3 retries (1 s, 2 s, 3 s apart), then given up …
        assert len(supervisord_lines(supervised, r"spawned: 'console'")) - spawned_before == 1 + 3
        assert supervisord_lines(supervised, r"gave up: console entered FATAL state, too many start retries")
        # … and nothing else was touched.
        assert {name: pid for name, pid in supervised.pids().items() if name != "console"} == others
        assert all(supervised.state(name) in ("STARTING", "RUNNING") for name in others)
        assert "第1步" in answered_publicly(supervised, telegram_api, "付款失败了")
    finally:
        squatter.close()
    supervised.restart("console")  # what `supervisorctl start console` does once the cause is fixed
    assert requests.get(f"{settings.console_url}/health", timeout=10).status_code == 200
    assert supervised.state("console") in ("STARTING", "RUNNING")
