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

from bot.conversations.events_table import prepare_events_table
from bot.database.migrate import upgrade
from bot.deploy.endpoints import deployment_problems, store_environment
from bot.deploy.nginx import find_nginx, write_config
from bot.deploy.processes import ProcessSpec, plan
from bot.model_files import model_path as current_model_path
from bot.settings import PROJECT_ROOT, Settings, get_settings

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
    specs: Dict[str, ProcessSpec] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    def api_headers(self) -> Dict[str, str]:
        """The header that Rasa's HTTP API accepts (a short-lived JWT signed with the stack's token)."""
        from bot.runtime.api_auth import api_headers

        return api_headers(self.token)

    @property
    def console_url(self) -> str:
        return self.settings.console_url

    @property
    def public_url(self) -> str:
        return self.settings.public_url

    def restart(self, name: str) -> None:
        """Starts the process `name` again (after a test killed it) and waits until it is ready."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            raise RuntimeError(f"{name} is still running")
        start_process(self, self.specs[name], self.env)
        _wait_until(self, name, self.specs[name].ready_url)


def settings_environment(settings: Settings) -> Dict[str, str]:
    """`settings` as OKPAY_* variables, so every child process reads the same values."""
    env = {}
    for name, value in settings.dict().items():
        if isinstance(value, Path):
            value = settings.resolve(value)
        env[f"OKPAY_{name.upper()}"] = str(value)
    env["OKPAY_DATABASE_URL"] = settings.ticket_database_url
    return env


def child_environment(settings: Settings, token: str, action_secret: str = "") -> Dict[str, str]:
    """The environment of the servers: quiet, loopback only, our endpoints and settings.

    `token` and `action_secret` are the ones made up for this start when the settings have none.
    """
    env = dict(os.environ)
    env.update(QUIET_ENV)
    env.update(settings_environment(settings))
    env.update(store_environment(settings))
    env.update(
        {
            "SANIC_HOST": settings.action_host,  # `rasa run actions` has no host option
            "OKPAY_ACTION_ENDPOINT_URL": settings.action_endpoint_url,
            "OKPAY_EVENT_STREAM_URL": settings.event_stream_url,
            "OKPAY_RASA_TOKEN": token,
            "OKPAY_ACTION_SECRET": action_secret or settings.action_secret,
            "TF_INTER_OP_PARALLELISM_THREADS": str(settings.tf_threads),
            "TF_INTRA_OP_PARALLELISM_THREADS": str(settings.tf_threads),
            "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    return env


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


def answers(url: str) -> bool:
    """Whether `url` answers 200 (within 2 s)."""
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
        if answers(url):
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


def _stop_on_sigterm() -> None:
    """Turns SIGTERM into SystemExit, so `running_stack` stops the servers too."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def prepare_stores(settings: Settings) -> None:
    """Migrations and tables, before any server starts.

    The ticket store is migrated (Alembic). Rasa's `events` table is created
    here once, with an index on its timestamps (`prepare_events_table`), so
    replicas starting together do not race to create it.
    """
    if settings.replicated:
        create_database_if_missing(settings.ticket_database_url)
        create_database_if_missing(settings.tracker_url)
    upgrade(settings.ticket_database_url)
    prepare_events_table(settings.conversations_url)


def create_database_if_missing(url: str) -> None:
    """Creates the PostgreSQL database of `url` when the server does not have it yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        return
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": target.database}).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def _processes_for(settings: Settings, model: Path) -> List[ProcessSpec]:
    if not settings.replicated:
        return plan(settings, model)
    problems = deployment_problems(settings)
    if problems:
        raise RuntimeError("the replicated deployment needs: " + "; ".join(problems))
    nginx = find_nginx(settings)
    if nginx is None:
        raise RuntimeError("the replicated deployment needs nginx (Debian package nginx-light); "
                           "scripts/run --replicated installs it")
    config = write_config(settings, settings.resolve(settings.log_dir).parent / "nginx",
                          settings.resolve(settings.log_dir))
    return plan(settings, model, config, nginx)


def start_process(stack: Stack, spec: ProcessSpec, env: Dict[str, str]) -> subprocess.Popen:
    """Starts (or restarts) one process of the stack, its output appended to its log."""
    log_dir = stack.settings.resolve(stack.settings.log_dir)
    with open(log_dir / f"{spec.name}.log", "ab") as log:
        process = subprocess.Popen(spec.command, cwd=PROJECT_ROOT, env={**env, "OKPAY_PROCESS_NAME": spec.name},
                                   stdout=log, stderr=subprocess.STDOUT)
    stack.processes[spec.name] = process
    return process


@contextlib.contextmanager
def running_stack(
    settings: Settings | None = None, model: Path | None = None
) -> Iterator[Stack]:
    """The servers, ready to answer, for the duration of the `with` block."""
    settings = settings or get_settings()
    model = model or current_model_path()
    if not model.exists():
        raise FileNotFoundError(f"no trained model at {model}; run scripts/run or scripts/train")
    token = settings.rasa_token or secrets.token_urlsafe(24)
    settings = with_widget_secret(settings)
    log_dir = settings.resolve(settings.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    settings.resolve(settings.tracker_db).parent.mkdir(parents=True, exist_ok=True)
    specs = _processes_for(settings, model)
    for spec in specs:
        for host, port in spec.listens:
            if port_in_use(host, port):
                raise RuntimeError(f"port {port} on {host} is in use (is the assistant already running?)")
    prepare_stores(settings)
    env = child_environment(settings, token, settings.action_secret or secrets.token_urlsafe(24))
    stack = Stack(settings=settings, token=token, specs={spec.name: spec for spec in specs}, env=env)
    try:
        for spec in specs:
            start_process(stack, spec, env)
        for spec in specs:
            _wait_until(stack, spec.name, spec.ready_url)
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


def settings_problems(error: ValueError) -> str:
    """One line per setting that is wrong, as an operator reads it."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return f"  {error}"
    return "\n".join(f"  {problem['msg']}" for problem in errors())


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chat", action="store_true", help="open the terminal chat once ready")
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as error:  # pydantic's ValidationError: say what to set, without a traceback
        print(f"error: the settings are not usable:\n{settings_problems(error)}", file=sys.stderr)
        return 2
    from bot.logs.setup import configure_logging

    configure_logging("launcher", sys.stderr, settings)  # stdout is the chat's
    _stop_on_sigterm()
    if settings.replicated:
        print(f"Starting nginx, {settings.action_replicas} action servers, the agent console and "
              f"{settings.rasa_replicas} Rasa processes (PostgreSQL and Redis; loading the model)…", flush=True)
    else:
        print("Starting the action server, the agent console and Rasa (loading the model)…", flush=True)
    try:
        with running_stack(settings) as stack:
            public = f"users' channels on {stack.public_url} (load balancer), " if settings.replicated else ""
            print(
                f"Ready in {max(stack.ready_after.values()):.1f} s: {public}Rasa on {stack.rasa_url}, "
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
