"""Starts the action server, the Rasa server and the agent console on 127.0.0.1.

`python -m bot.cli.serve --chat` is what `scripts/run` ends with: the ticket
database is migrated, the three servers start, the terminal chat opens once
they answer, and Ctrl-C (or leaving the chat) stops everything this started. Without `--chat` it serves until
interrupted. Tests and benchmarks use `running_stack()` directly.

The processes run under supervisord (`bot.deploy.supervisor`): it restarts one
that crashes, backs off one that keeps failing, and stops them all when it is
stopped. This module only prepares the stores, writes its configuration,
starts it and waits until every process answers its ready URL.
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
from typing import Any, Dict, Iterator, List, Tuple

import requests

from bot.conversations.events_table import prepare_events_table
from bot.database.database import create_database_if_missing
from bot.database.migrate import upgrade
from bot.deploy.endpoints import deployment_problems, store_environment
from bot.deploy.nginx import check_config, find_nginx, plain_http_warning, tls_problems, write_config
from bot.deploy.processes import ProcessSpec, plan
from bot.deploy.supervisor import ALIVE_STATES, Supervisor, supervisord_command
from bot.deploy.supervisor import write_config as write_supervisor_config
from bot.model_files import model_path as current_model_path
from bot.secret_files import kept_secret
from bot.settings import PROJECT_ROOT, Settings, get_settings

QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore",
}


@dataclass
class Stack:
    """A running start: its settings, API token and supervisord, which keeps its processes up."""

    settings: Settings
    token: str
    supervisord: subprocess.Popen
    supervisor: Supervisor
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

    def pid(self, name: str) -> int:
        """The process id of `name` now (0 when it is not running)."""
        return int(self.supervisor.info(name)["pid"])

    def pids(self) -> Dict[str, int]:
        return {name: int(info["pid"]) for name, info in self.supervisor.all().items()}

    def state(self, name: str) -> str:
        """supervisord's state of `name`: STARTING, RUNNING, BACKOFF, EXITED, FATAL, STOPPED …"""
        return str(self.supervisor.info(name)["statename"])

    def kill(self, name: str, signum: int = signal.SIGKILL) -> int:
        """Sends `signum` to `name` (a crash, for tests) and waits until supervisord saw it go; returns its pid."""
        pid = self.pid(name)
        if not pid:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, signum)
        deadline = time.monotonic() + 30
        while self.pid(name) == pid:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} (pid {pid}) did not stop after signal {signum}")
            time.sleep(0.05)
        return pid

    def restart(self, name: str) -> None:
        """Brings `name` back after a test killed it and waits until it is ready.

        Started here unless supervisord is already at it: a process killed
        before its start counted (startsecs) is retried even when crashed
        processes are left down.
        """
        if self.state(name) not in ALIVE_STATES:
            self.supervisor.start(name)
        _wait_until(self, name, self.specs[name].ready_url)


def settings_environment(settings: Settings) -> Dict[str, str]:
    """`settings` as OKPAY_* variables, so every child process reads the same values."""
    env = {}
    for name, value in settings.dict().items():
        if value is None:  # unset optional setting: the child's default is None too
            continue
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
    secret = kept_secret(settings.resolve(settings.tracker_db).parent / "widget_secret")
    return settings.copy(update={"widget_jwt_secret": secret})


def answers(url: str) -> bool:
    """Whether `url` answers 200 (within 2 s)."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _wait_until(stack: Stack, name: str, url: str) -> None:
    """Until `name` answers `url`; an error when supervisord gave up on it or stopped, or after start_timeout."""
    deadline = time.monotonic() + stack.settings.start_timeout
    log = stack.settings.resolve(stack.settings.log_dir) / f"{name}.log"
    while time.monotonic() < deadline:
        if stack.supervisord.poll() is not None:
            raise RuntimeError(f"supervisord stopped (exit code {stack.supervisord.returncode}); see "
                               f"{stack.settings.resolve(stack.settings.log_dir) / 'supervisord.log'}")
        info = stack.supervisor.info(name)
        if info["statename"] not in ALIVE_STATES:
            reason = info["spawnerr"] or f"exit code {info['exitstatus']}"
            raise RuntimeError(f"the {name} server stopped during start-up ({info['statename']}: {reason}); see {log}")
        if answers(url):  # ready before supervisord counts its start as lasting (startsecs) is ready
            stack.ready_after[name] = time.monotonic() - stack.started_at
            return
        time.sleep(0.2)
    raise TimeoutError(f"the {name} server did not answer {url} within {stack.settings.start_timeout:.0f} s")


def _stop(supervisord: subprocess.Popen, specs: List[ProcessSpec]) -> None:
    """Stops supervisord, which stops its programs (each within its stop_wait_s) before it exits."""
    if supervisord.poll() is None:
        supervisord.send_signal(signal.SIGTERM)
    grace = sum(spec.stop_wait_s for spec in specs) + 10  # supervisord stops them one priority at a time
    try:
        supervisord.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        supervisord.kill()
        supervisord.wait()


def _start_supervisord(config: Path, env: Dict[str, str], output: Any,
                       log_dir: Path) -> Tuple[subprocess.Popen, Supervisor]:
    """supervisord in the foreground, with the children's environment as its own (see bot.deploy.supervisor)."""
    daemon = subprocess.Popen(supervisord_command(config), cwd=PROJECT_ROOT, env=env, stdout=output,
                              stderr=subprocess.STDOUT)
    control = Supervisor(config)
    deadline = time.monotonic() + 30
    while not control.up():
        if daemon.poll() is not None or time.monotonic() > deadline:
            _stop(daemon, [])
            raise RuntimeError(f"supervisord did not start (exit code {daemon.returncode}); see "
                               f"{log_dir / 'supervisord.log'} or its output")
        time.sleep(0.1)
    return daemon, control


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


def _processes_for(settings: Settings, model: Path) -> List[ProcessSpec]:
    if not settings.replicated:
        return plan(settings, model)
    problems = deployment_problems(settings)
    if problems:
        raise RuntimeError("the replicated deployment needs: " + "; ".join(problems))
    problems = tls_problems(settings)
    if problems:
        raise RuntimeError("TLS is not usable: " + "; ".join(problems))
    nginx = find_nginx(settings)
    if nginx is None:
        raise RuntimeError("the replicated deployment needs nginx (Debian package nginx-light); "
                           "scripts/run --replicated installs it")
    config = write_config(settings, settings.resolve(settings.log_dir).parent / "nginx",
                          settings.resolve(settings.log_dir))
    check_config(nginx, config)  # nginx's own word on the certificate and key, before anything starts
    return plan(settings, model, config, nginx)


@contextlib.contextmanager
def running_stack(
    settings: Settings | None = None, model: Path | None = None, restart_crashed: bool = True,
    output: Any = subprocess.DEVNULL,
) -> Iterator[Stack]:
    """The servers, ready to answer, for the duration of the `with` block.

    `restart_crashed=False` leaves a process that crashed after its start
    stopped (tests that kill processes restart them with `Stack.restart`);
    supervisord's own lines (spawned, exited, gave up) go to `output` as well
    as to supervisord.log.
    """
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
    config = write_supervisor_config(specs, settings, log_dir.parent / "supervisor", log_dir, restart_crashed)
    daemon, control = _start_supervisord(config, env, output, log_dir)
    stack = Stack(settings=settings, token=token, supervisord=daemon, supervisor=control,
                  specs={spec.name: spec for spec in specs}, env=env)
    try:
        for spec in specs:
            _wait_until(stack, spec.name, spec.ready_url)
        yield stack
    finally:
        _stop(daemon, specs)


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
    warning = plain_http_warning(settings)
    if warning:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    if settings.replicated:
        print(f"Starting nginx, {settings.action_replicas} action servers, the agent console and "
              f"{settings.rasa_replicas} Rasa processes under supervisord (PostgreSQL and Redis; loading the "
              "model)…", flush=True)
    else:
        print("Starting the action server, the agent console and Rasa (loading the model)…", flush=True)
    # Serving: supervisord's lines (spawned, exited, gave up …) show here; chatting: only in its log.
    output = subprocess.DEVNULL if args.chat else None
    try:
        with running_stack(settings, output=output) as stack:
            public = f"users' channels on {stack.public_url} (load balancer), " if settings.replicated else ""
            control = settings.resolve(settings.log_dir).parent / "supervisor" / "supervisord.conf"
            print(
                f"Ready in {max(stack.ready_after.values()):.1f} s: {public}Rasa on {stack.rasa_url}, "
                f"actions on {settings.action_endpoint_url}, agent console on {stack.console_url} "
                f"(create an account: python -m bot.console.agents create …), "
                f"chat widget demo on {stack.console_url}/widget. Logs in {settings.log_dir}/; "
                f"processes: .venv/bin/supervisorctl -c {control} status.",
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
                code = stack.supervisord.wait()  # until Ctrl-C, SIGTERM or `supervisorctl shutdown`
                print(f"supervisord stopped (exit code {code})", file=sys.stderr)
                return 0 if code == 0 else 1
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\nStopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
