"""The load balancer's configuration: valid for nginx, and only the public paths on the public port."""
from __future__ import annotations

import re
import subprocess

import pytest

from bot.deploy.nginx import find_nginx, write_config
from bot.settings import Settings

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


def test_the_public_server_passes_only_webhooks_sockets_and_health(config):
    text = config.read_text(encoding="utf-8")
    public = text.split("# Public: users' channels.")[1].split("# Internal:")[0]
    locations = re.findall(r"location (=?\s?\S+) \{", public)
    assert locations == ["= /health", "= /ready", "/webhooks/", "/socket.io/", "/"]
    assert "return 404" in public.split("location / {")[1]


def test_actions_are_not_sent_twice_after_reaching_a_replica(config):
    actions = config.read_text(encoding="utf-8").split("# Internal: custom actions")[1]
    assert "non_idempotent" not in actions
