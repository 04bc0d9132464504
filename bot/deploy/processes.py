"""The processes of a deployment: what each runs, where, and the URL that says it is ready."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List

from bot.deploy.endpoints import endpoints_file
from bot.deploy.nginx import nginx_command
from bot.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    command: List[str]
    ready_url: str
    #: The (host, port) it listens on, checked free before starting.
    listens: tuple
    #: Seconds it must stay up for its start to count (supervisord's `startsecs`): an exit sooner is a failed
    #: start, retried with a growing wait and given up after OKPAY_RESTART_RETRIES; an exit later is a crash,
    #: restarted at once. Longer than its usual time to fail (a taken port, a bad setting).
    start_secs: int = 10
    #: How it is asked to stop, and the seconds it gets to finish before it is killed.
    stop_signal: str = "TERM"
    stop_wait_s: int = 20


def action_server_command(port: int) -> List[str]:
    return [sys.executable, "-m", "bot.cli.action_server", "--port", str(port)]


def rasa_server_command(settings: Settings, model: Path, port: int) -> List[str]:
    """The Rasa server's command line. No secret in it: the API's JWT secret comes from OKPAY_RASA_TOKEN
    in the process's environment (`bot.cli.rasa_server`), so `ps` and /proc/<pid>/cmdline do not show it."""
    return [
        sys.executable, "-m", "bot.cli.rasa_server", "run",
        "--model", str(model),
        "--endpoints", str(endpoints_file(settings)),
        "--credentials", str(PROJECT_ROOT / "credentials.yml"),
        "--enable-api",
        "--interface", settings.rasa_host, "--port", str(port),
    ]


def console_command() -> List[str]:
    return [sys.executable, "-m", "bot.console"]


def _numbered(name: str, index: int, count: int) -> str:
    return f"{name}-{index + 1}" if count > 1 else name


def plan(settings: Settings, model: Path, nginx_config: Path | None = None,
         nginx: Path | None = None) -> List[ProcessSpec]:
    """Every process to start, in start order (nginx first: the others' internal addresses are its)."""
    specs: List[ProcessSpec] = []
    if settings.replicated:
        assert nginx is not None and nginx_config is not None
        # /health answers on the plain port with TLS too (bot/deploy/nginx.py), so the probe needs no certificate.
        public = ((settings.proxy_host, settings.proxy_port),) + (
            ((settings.proxy_host, settings.https_port),) if settings.tls else ())
        specs.append(ProcessSpec(
            "nginx", nginx_command(nginx, nginx_config), f"http://{settings.proxy_host}:{settings.proxy_port}/health",
            public + ((settings.rasa_host, settings.rasa_port), (settings.action_host, settings.action_port)),
            start_secs=2, stop_wait_s=10,  # TERM: nginx's fast stop; QUIT would wait for hour-long sockets
        ))
    action_ports = settings.action_replica_ports
    for index, port in enumerate(action_ports):
        specs.append(ProcessSpec(
            _numbered("actions", index, len(action_ports)), action_server_command(port),
            f"http://{settings.action_host}:{port}/ready", ((settings.action_host, port),), start_secs=15,
            stop_wait_s=10,
        ))
    # The console imports and migrates for several seconds before it binds (and fails on a taken port).
    specs.append(ProcessSpec("console", console_command(), f"{settings.console_url}/health",
                             ((settings.console_host, settings.console_port),), start_secs=30, stop_wait_s=10))
    # Loading the model is part of Rasa's start: a failure while loading is backed off, not a tight loop.
    rasa_ports = settings.rasa_replica_ports
    for index, port in enumerate(rasa_ports):
        specs.append(ProcessSpec(
            _numbered("rasa", index, len(rasa_ports)), rasa_server_command(settings, model, port),
            f"http://{settings.rasa_host}:{port}/ready", ((settings.rasa_host, port),), start_secs=60,
        ))
    return specs
