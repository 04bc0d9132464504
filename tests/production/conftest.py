"""The replicated deployment, for real: nginx, 2 Rasa and 2 action-server processes, PostgreSQL and Redis.

PostgreSQL is a cluster of this test session's own (`tests.private_postgres`:
Debian's initdb and pg_ctl, a private port and directory), and Redis a
private `redis-server` on a free port, so a test can restart or stop either
without disturbing anything else on the machine.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import time
import uuid
from typing import Any, Dict, List

import pytest
import redis
import requests
from sqlalchemy import create_engine, text

from bot.cli.serve import running_stack
from bot.model_files import model_path
from bot.settings import Settings
from tests.private_postgres import PrivatePostgres
from tests.senders import sender_id
from tests.servers import free_port, replicated_ports


class PrivateRedis:
    """A redis-server of this test session's own, which tests may stop and start."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing (Debian package redis-server)")
        self.binary, self.port = binary, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture(scope="session")
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def private_postgres():
    """PostgreSQL of this test session's own, which tests may restart."""
    server = PrivatePostgres()
    try:
        server.start()
    except RuntimeError as error:
        server.remove()
        pytest.fail(f"could not start a private PostgreSQL cluster: {error}")
    yield server
    server.remove()


@pytest.fixture(scope="session")
def pg_url(private_postgres):
    """A database in the private cluster (created by the stack's start)."""
    return f"{private_postgres.url}/okpay"


@pytest.fixture(scope="session")
def replicated(tmp_path_factory, pg_url, private_redis):
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run scripts/train (scripts/test does it first)")
    if shutil.which("nginx") is None and not Settings().nginx_bin.exists():
        pytest.fail("nginx is missing: scripts/test installs Debian's nginx-light")
    home = tmp_path_factory.mktemp("replicated")
    # Production settings, as `scripts/run --replicated` has them: real secrets, secure cookies, no demo sign-in.
    settings = Settings(**replicated_ports(dict(
        environment="production", rasa_token=secrets.token_urlsafe(32), action_secret=secrets.token_urlsafe(32),
        deployment="replicated", database_url=pg_url, redis_url=private_redis.url,
        tracker_db=home / "unused.db", log_dir=home / "log", lock_lifetime_s=10,
        service_hours="00:00-23:59", lock_key_prefix="okpaytest" + uuid.uuid4().hex[:8],
    ), rasa_replicas=2, action_replicas=2))
    # Its tests kill processes and restart them themselves (tests/production/test_supervision.py: supervisord's
    # restarts, on a stack of its own).
    with running_stack(settings, model, restart_crashed=False) as stack:
        yield stack


@pytest.fixture(scope="session")
def tracker_db(replicated):
    engine = create_engine(replicated.settings.tracker_url, pool_pre_ping=True)
    yield engine
    engine.dispose()


class User:
    """A user of the REST channel, through the load balancer's internal listener (REST is not public)."""

    def __init__(self, stack: Any, sender: str):
        self.stack, self.sender, self.sent = stack, sender, 0
        #: The REST channel's conversation id: the channel sets the prefix.
        self.conversation = f"rest:{sender}"

    def say(self, message: str, timeout: float = 60) -> List[Dict[str, Any]]:
        self.sent += 1
        response = requests.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": message,
                  "metadata": {"test_message_id": f"{self.sender}#{self.sent}"}},
            timeout=timeout,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def texts(self, message: str, timeout: float = 60) -> List[str]:
        return [reply.get("text") or "" for reply in self.say(message, timeout)]


@pytest.fixture
def user(replicated, request):
    return User(replicated, sender_id(f"prod-{request.node.name}-{uuid.uuid4().hex[:6]}"))


def stored_user_messages(engine: Any, sender: str) -> List[Dict[str, Any]]:
    """The user events of `sender` in PostgreSQL, in the order they were stored."""
    import json

    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).all()
    return [json.loads(data) for type_name, data in rows if type_name == "user"]


def stored_events(engine: Any, sender: str) -> List[Dict[str, Any]]:
    import json

    with engine.connect() as connection:
        rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                  {"s": sender}).all()
    return [json.loads(data) for (data,) in rows]


def response_text(domain, name: str) -> str:
    return domain["responses"][name][0]["text"]


def form_until_description(user: User, domain) -> None:
    """转人工, then the contact and 跳过 until the form asks for the description."""
    asked = " ".join(user.texts("转人工"))
    for _ in range(4):
        if response_text(domain, "utter_ask_ticket_description") in asked:
            return
        answer = "13812345678" if response_text(domain, "utter_ask_ticket_contact") in asked else "跳过"
        asked = " ".join(user.texts(answer))
    raise AssertionError(f"the form did not ask for a description: {asked}")
