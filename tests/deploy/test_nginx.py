"""The load balancer's configuration: valid for nginx, and only the public paths on the public port."""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time

import pytest
import requests

from bot.deploy.nginx import find_nginx, write_config
from bot.settings import Settings
from tests.deploy.replicas import Replica
from tests.servers import replicated_ports

SETTINGS = Settings(deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
                    redis_url="redis://127.0.0.1:6379/0", rasa_replicas=3)


@pytest.fixture
def config(tmp_path):
    return write_config(SETTINGS, tmp_path / "nginx", tmp_path / "log")


def test_nginx_accepts_the_configuration(config, tmp_path):
    nginx = find_nginx(SETTINGS)
    if nginx is None:
        pytest.fail("nginx is missing: scripts/test installs Debian's nginx-light")
    (tmp_path / "log").mkdir()
    result = subprocess.run([str(nginx), "-t", "-c", str(config), "-p", str(config.parent),
                             "-e", str(tmp_path / "log" / "e.log")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_replica_is_in_each_upstream(config):
    text = config.read_text(encoding="utf-8")
    for upstream in ("rasa", "rasa_sockets"):
        block = re.search(r"upstream " + upstream + r" \{(.*?)\}", text, re.S).group(1)
        assert re.findall(r"server 127\.0\.0\.1:(\d+)", block) == ["5006", "5007", "5008"]
    actions = re.search(r"upstream actions \{(.*?)\}", text, re.S).group(1)
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", actions) == ["5056", "5057"]


def test_the_public_server_passes_only_the_authenticating_channels_and_health(config):
    """REST and callback trust the body's sender: they are not public (only internal below)."""
    text = config.read_text(encoding="utf-8")
    public = text.split("# Public: users' channels.")[1].split("# Internal:")[0]
    locations = re.findall(r"location (=?\s?\S+) \{", public)
    assert locations == ["= /health", "= /ready", "/webhooks/wechat/", "/webhooks/telegram/", "/socket.io/", "/"]
    assert "return 404" in public.split("location / {")[1]
    internal = text.split("# Internal: Rasa's HTTP API")[1].split("# Internal: custom actions")[0]
    assert re.findall(r"location (=?\s?\S+) \{", internal) == ["/webhooks/", "/"]


def test_actions_are_not_sent_twice_after_reaching_a_replica(config):
    actions = config.read_text(encoding="utf-8").split("# Internal: custom actions")[1]
    assert "non_idempotent" not in actions


def test_the_webhooks_carry_a_request_id_that_a_resend_keeps(config):
    text = config.read_text(encoding="utf-8")
    for location in ("location /webhooks/wechat/ {", "location /webhooks/telegram/ {", "location /webhooks/ {"):
        webhooks = text.split(location)[1].split("}")[0]
        assert "proxy_set_header X-Request-Id $request_id;" in webhooks, location
        assert "non_idempotent" in webhooks, location


def test_a_message_resent_to_another_replica_keeps_its_request_id(tmp_path):
    """What lets the second replica tell a re-sent message from a new one (bot/runtime/message_guard.py)."""
    nginx = find_nginx(SETTINGS)
    if nginx is None:
        pytest.fail("nginx is missing: scripts/test installs Debian's nginx-light")
    settings = Settings(**replicated_ports(dict(
        deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
        redis_url="redis://127.0.0.1:6379/0"), rasa_replicas=2, action_replicas=1))
    dying, living = (Replica(port, dies=dies) for port, dies in zip(settings.rasa_replica_ports, (True, False), strict=True))
    dying.start()
    living.start()
    (tmp_path / "log").mkdir()
    config = write_config(settings, tmp_path / "nginx", tmp_path / "log")
    server = subprocess.Popen([str(nginx), "-c", str(config), "-p", str(config.parent), "-e",
                               str(tmp_path / "log" / "e.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/rest/webhook"
        for _ in range(100):
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"http://{settings.proxy_host}:{settings.proxy_port}/health", timeout=1)
                break
            time.sleep(0.05)
        for attempt in range(4):
            response = requests.post(url, json={"sender": "u1", "message": f"m{attempt}"}, timeout=10)
            assert response.status_code == 200
            if dying.request_ids:
                break
        assert dying.request_ids, "the balancer never tried the dying replica"
        assert dying.request_ids[0] and dying.request_ids[0] in living.request_ids
    finally:
        server.terminate()
        server.wait(10)
        dying.sock.close()
        living.sock.close()


def test_workers_never_run_as_root(config):
    text = config.read_text(encoding="utf-8")
    assert "user root" not in text
    if os.geteuid() == 0:
        assert "user nobody" in text
        assert (config.parent / "proxy").owner() == "nobody"


def test_the_public_listener_never_forwards_metrics_the_internal_one_does(tmp_path):
    """Prometheus scrapes each replica itself; from the internet `/metrics` is a 404 that no replica sees."""
    nginx = find_nginx(SETTINGS)
    if nginx is None:
        pytest.fail("nginx is missing: scripts/test installs Debian's nginx-light")
    settings = Settings(**replicated_ports(dict(
        deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
        redis_url="redis://127.0.0.1:6379/0"), rasa_replicas=1, action_replicas=1))
    rasa, actions = Replica(settings.rasa_replica_ports[0], False), Replica(settings.action_replica_ports[0], False)
    rasa.start()
    actions.start()
    (tmp_path / "log").mkdir()
    config = write_config(settings, tmp_path / "nginx", tmp_path / "log")
    server = subprocess.Popen([str(nginx), "-c", str(config), "-p", str(config.parent), "-e",
                               str(tmp_path / "log" / "e.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    public = f"http://{settings.proxy_host}:{settings.proxy_port}"
    try:
        for _ in range(100):
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"{public}/health", timeout=1)
                break
            time.sleep(0.05)
        for path in ("/metrics", "/metrics/", "/Metrics", "//metrics", "/webhooks/../metrics", "/metrics?x=1"):
            assert requests.get(f"{public}{path}", timeout=5, allow_redirects=False).status_code in (301, 308, 404), path
        assert rasa.heads == [] and actions.heads == []
        internal = requests.get(f"http://{settings.rasa_host}:{settings.rasa_port}/metrics", timeout=5)
        assert internal.status_code == 200 and len(rasa.heads) == 1
    finally:
        server.terminate()
        server.wait(10)
        rasa.sock.close()
        actions.sock.close()
