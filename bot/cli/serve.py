"""Starts the action server, the Rasa server and the agent console on 127.0.0.1.

`python -m bot.cli.serve --chat` is what `scripts/run` ends with: the ticket
database is migrated, the three servers start, the terminal chat opens once
they answer, and Ctrl-C (or leaving the chat) stops everything this started. Without `--chat` it serves until
interrupted. Tests and benchmarks use `running_stack()` directly.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List

import requests

from bot.model_files import model_path as current_model_path
from bot.settings import PROJECT_ROOT, Settings, get_settings
from bot.tickets.migrate import upgrade

QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


@dataclass
class Stack:
    settings: Settings
    token: str
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)
    ready_after: Dict[str, float] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    @property
    def console_url(self) -> str:
        return self.settings.console_url


def settings_environment(settings: Settings) -> Dict[str, str]:
    """`settings` as OKPAY_* variables, so every child process reads the same values."""
    env = {}
    for name, value in settings.dict().items():
        if isinstance(value, Path):
            value = settings.resolve(value)
        env[f"OKPAY_{name.upper()}"] = str(value)
    env["OKPAY_DATABASE_URL"] = settings.ticket_database_url
    return env


def child_environment(settings: Settings, token: str) -> Dict[str, str]:
    """The environment of the servers: quiet, loopback only, our endpoints and settings."""
    env = dict(os.environ)
    env.update(QUIET_ENV)
    env.update(settings_environment(settings))
    env.update(
        {
            "SANIC_HOST": settings.action_host,  # `rasa run actions` has no host option
            "OKPAY_ACTION_ENDPOINT_URL": settings.action_endpoint_url,
            "OKPAY_RASA_TOKEN": token,  # the one made up for this start when none is set
            "TF_INTER_OP_PARALLELISM_THREADS": str(settings.tf_threads),
            "TF_INTRA_OP_PARALLELISM_THREADS": str(settings.tf_threads),
            "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    return env


def action_server_command(settings: Settings) -> List[str]:
    return [
        sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions",
        "--port", str(settings.action_port),
    ]


def rasa_server_command(settings: Settings, model: Path, token: str) -> List[str]:
    return [
        sys.executable, "-m", "bot.cli.rasa_server", "run",
        "--model", str(model),
        "--endpoints", str(PROJECT_ROOT / "endpoints.yml"),
        "--credentials", str(PROJECT_ROOT / "credentials.yml"),
        "--enable-api", "--auth-token", token,
        "--interface", settings.rasa_host, "--port", str(settings.rasa_port),
    ]


def console_command() -> List[str]:
    return [sys.executable, "-m", "bot.console"]


def with_widget_secret(settings: Settings) -> Settings:
    """`settings`, with a widget token secret kept in var/ for development when none is set.

    Kept in a file (readable by its owner only), so anonymous visitors keep
    their conversations across restarts. Production must set
    OKPAY_WIDGET_JWT_SECRET (the host app signs with it); without it the
    widget stays off there.
    """
    if settings.widget_jwt_secret or settings.environment == "production":
        return settings
    path = settings.resolve(settings.tracker_db).parent / "widget_secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return settings.copy(update={"widget_jwt_secret": path.read_text(encoding="utf-8").strip()})


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _wait_until(stack: Stack, name: str, url: str) -> None:
    deadline = time.monotonic() + stack.settings.start_timeout
    process = stack.processes[name]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the {name} server stopped during start-up (exit code {process.returncode}); "
                f"see {stack.settings.resolve(stack.settings.log_dir) / (name + '.log')}"
            )
        if _answers(url):
            stack.ready_after[name] = time.monotonic() - stack.started_at
            return
        time.sleep(0.2)
    raise TimeoutError(f"the {name} server did not answer {url} within {stack.settings.start_timeout:.0f} s")


def _stop(processes: Dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        if process.poll() is None:
            process.kill()
            process.wait()


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (for tests and benchmarks)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_on_sigterm() -> None:
    """Turns SIGTERM into SystemExit, so `running_stack` stops the servers too."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def running_stack(
    settings: Settings | None = None, model: Path | None = None
) -> Iterator[Stack]:
    """The servers, ready to answer, for the duration of the `with` block."""
    settings = settings or get_settings()
    model = model or current_model_path()
    if not model.exists():
        raise FileNotFoundError(f"no trained model at {model}; run scripts/run or scripts/train")
    ports = (
        (settings.action_host, settings.action_port),
        (settings.rasa_host, settings.rasa_port),
        (settings.console_host, settings.console_port),
    )
    for host, port in ports:
        if port_in_use(host, port):
            raise RuntimeError(f"port {port} on {host} is in use (is the assistant already running?)")
    token = settings.rasa_token or secrets.token_urlsafe(24)
    settings = with_widget_secret(settings)
    log_dir = settings.resolve(settings.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    settings.resolve(settings.tracker_db).parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.ticket_database_url)
    env = child_environment(settings, token)
    stack = Stack(settings=settings, token=token)
    commands = {
        "actions": action_server_command(settings),
        "rasa": rasa_server_command(settings, model, token),
        "console": console_command(),
    }
    try:
        for name, command in commands.items():
            with open(log_dir / f"{name}.log", "ab") as log:
                stack.processes[name] = subprocess.Popen(
                    command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
        _wait_until(stack, "actions", f"http://{settings.action_host}:{settings.action_port}/health")
        _wait_until(stack, "console", f"{settings.console_url}/health")
        _wait_until(stack, "rasa", f"{settings.rasa_url}/status?token={token}")
        yield stack
    finally:
        _stop(stack.processes)


def terminal_receiver(settings: Settings):
    """Listens at the callback URL for the terminal chat, when it is on this machine and free.

    Then agent replies reach the terminal. Otherwise the chat uses the REST
    channel, which only answers what is sent.
    """
    from urllib.parse import urlsplit

    from bot.cli.callback_receiver import CallbackReceiver

    url = urlsplit(settings.callback_url)
    if url.hostname not in ("127.0.0.1", "localhost") or not url.port:
        return None
    try:
        return CallbackReceiver(url.hostname, url.port)
    except OSError:
        print(f"(port {url.port} is busy: agent replies will not show in this terminal)", flush=True)
        return None


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chat", action="store_true", help="open the terminal chat once ready")
    args = parser.parse_args(argv)
    settings = get_settings()
    _stop_on_sigterm()
    print("Starting the action server, the agent console and Rasa (loading the model)…", flush=True)
    try:
        with running_stack(settings) as stack:
            print(
                f"Ready in {stack.ready_after['rasa']:.1f} s: Rasa on {stack.rasa_url}, "
                f"actions on {settings.action_endpoint_url}, agent console on {stack.console_url} "
                f"(create an account: python -m bot.console.agents create …), "
                f"chat widget demo on {stack.console_url}/widget. Logs in {settings.log_dir}/.",
                flush=True,
            )
            if args.chat:
                from bot.cli.chat import chat

                receiver = terminal_receiver(settings)
                try:
                    chat(stack.rasa_url, receiver=receiver)
                finally:
                    if receiver is not None:
                        receiver.close()
            else:
                while all(p.poll() is None for p in stack.processes.values()):
                    time.sleep(1)
                print("a server stopped; see the logs", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\nStopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
