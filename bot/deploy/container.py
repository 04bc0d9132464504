"""The container image's entry point: one image, one role per container (deploy/Containerfile).

`python -m bot.deploy.container ROLE` reads the settings (OKPAY_* variables, as every process does) and
replaces itself with the role's process, built by the same code as `scripts/run`
(`bot.deploy.processes` for the command lines, `bot.cli.serve` for the environment and the stores), so a
container runs exactly what a process of the replicated deployment runs:

  rasa          the Rasa server (our channels, the HTTP API behind its token) on 0.0.0.0:5005
  actions       the action server on 0.0.0.0:5055
  console       the agent console on 0.0.0.0:5080
  migrate       creates the databases when missing, migrates the ticket store and creates Rasa's
                `events` table, then exits (run it once before the servers)
  nginx-config  writes the load balancer's nginx.conf into a directory (a volume the nginx container reads):
                `nginx-config DIR --rasa HOST:PORT ... --actions HOST:PORT ...`
  health        the HEALTHCHECK: whether this container's server answers its readiness URL

Inside a container every server listens on all interfaces at its fixed port; the OKPAY_*_HOST/PORT
settings keep saying where the *others* are reached (in Compose: `nginx:5005` for Rasa, `nginx:5055` for
the actions). Secrets are never made up here: replicas in separate containers could not share them.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

from bot.settings import Settings, get_settings

ALL_INTERFACES = "0.0.0.0"
#: The port each server listens on inside its container (the image's contract).
PORTS = {"rasa": 5005, "actions": 5055, "console": 5080}
#: The settings field prefix of each server's address.
_FIELDS = {"rasa": "rasa", "actions": "action", "console": "console"}
#: What the health check asks: readiness where the server has it (model and stores for Rasa, the ticket
#: database for the actions), the console's /health otherwise.
HEALTH_PATHS = {"rasa": "/ready", "actions": "/ready", "console": "/health"}
SERVER_ROLES = tuple(PORTS)
ROLES = SERVER_ROLES + ("migrate", "nginx-config", "health")
#: Where the running role is written for `health` (which the runtime starts as a process of its own).
ROLE_FILE = Path(tempfile.gettempdir()) / "okpay-container-role"


class ContainerError(RuntimeError):
    """A role cannot start with these settings; the message says what to set."""


@dataclass(frozen=True)
class Launch:
    """The process a server role becomes."""

    command: List[str]
    env: Dict[str, str]


def listening(settings: Settings, role: str) -> Settings:
    """`settings` with `role`'s own address on every interface at its container port; the others unchanged."""
    field = _FIELDS[role]
    return settings.copy(update={f"{field}_host": ALL_INTERFACES, f"{field}_port": PORTS[role]})


def _required_secrets(settings: Settings, role: str) -> None:
    missing = []
    if role in ("rasa", "console") and not settings.rasa_token:
        missing.append("OKPAY_RASA_TOKEN (Rasa's API token, the same in Rasa and the console)")
    if role in ("rasa", "actions") and not settings.action_secret:
        missing.append("OKPAY_ACTION_SECRET (the same in Rasa and the action servers)")
    if missing:
        raise ContainerError("set " + " and ".join(missing) + ": containers cannot share a made-up one")


def model_file() -> Path:
    """The trained model of the image's sources: baked in at build time or mounted over bot/models."""
    from bot.model_files import model_path

    model = model_path()
    if not model.exists():
        raise ContainerError(f"no trained model at {model}: train before building the image (scripts/train) "
                             f"or mount the models directory over {model.parent}")
    return model


def launch(role: str, settings: Settings) -> Launch:
    """The command line and environment of a server role (`rasa`, `actions`, `console`)."""
    from bot.cli.serve import child_environment
    from bot.deploy.processes import action_server_command, console_command, rasa_server_command

    if role not in SERVER_ROLES:
        raise ContainerError(f"unknown server role {role!r}; one of {', '.join(SERVER_ROLES)}")
    _required_secrets(settings, role)
    own = listening(settings, role)
    env = child_environment(own, settings.rasa_token, settings.action_secret)
    if role == "rasa":
        command = rasa_server_command(own, model_file(), PORTS["rasa"])
    elif role == "actions":
        command = action_server_command(PORTS["actions"])
    else:
        command = console_command()
    return Launch(command, env)


def migrate(settings: Settings) -> None:
    """What must happen once before the servers start (`bot.cli.serve.prepare_stores`)."""
    from bot.cli.serve import prepare_stores
    from bot.deploy.endpoints import deployment_problems

    problems = deployment_problems(settings)
    if problems:
        raise ContainerError("the replicated deployment needs: " + "; ".join(problems))
    prepare_stores(settings)


def write_nginx_config(settings: Settings, directory: Path, rasa: Sequence[str], actions: Sequence[str]) -> Path:
    """nginx.conf for a load balancer in a container of its own, in front of replicas named by host:port.

    Logs go to the nginx container's stdout and stderr (links in `directory`/log).
    """
    from bot.deploy.nginx import Upstreams, write_config

    if not rasa or not actions:
        raise ContainerError("nginx-config needs at least one --rasa and one --actions HOST:PORT")
    log_dir = directory / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    for name, stream in (("nginx-access.log", "/dev/stdout"), ("nginx-error.log", "/dev/stderr")):
        link = log_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(stream)
    return write_config(settings, directory, log_dir, Upstreams(list(rasa), list(actions), ALL_INTERFACES))


def health(role_file: Path = ROLE_FILE, ports: Dict[str, int] = PORTS, timeout: float = 3.0) -> bool:
    """Whether this container's server answers 200 on its readiness URL (no role running: not healthy)."""
    try:
        role = role_file.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    if role not in HEALTH_PATHS:
        return role == "migrate"  # a one-shot container is healthy while it runs
    url = f"http://127.0.0.1:{ports[role]}{HEALTH_PATHS[role]}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback, fixed URL
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.deploy.container", description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("directory", nargs="?", type=Path, help="nginx-config: where nginx.conf goes")
    parser.add_argument("--rasa", action="append", default=[], metavar="HOST:PORT", help="nginx-config")
    parser.add_argument("--actions", action="append", default=[], metavar="HOST:PORT", help="nginx-config")
    return parser


def main(argv: List[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.role == "health":
        return 0 if health() else 1
    try:
        settings = get_settings()
    except ValueError as error:  # pydantic's ValidationError: say what to set, without a traceback
        from bot.cli.serve import settings_problems

        print(f"error: the settings are not usable:\n{settings_problems(error)}", file=sys.stderr)
        return 2
    try:
        if args.role == "nginx-config":
            if args.directory is None:
                raise ContainerError("nginx-config needs the directory to write nginx.conf into")
            print(write_nginx_config(settings, args.directory, args.rasa, args.actions), flush=True)
            return 0
        ROLE_FILE.write_text(args.role, encoding="utf-8")
        if args.role == "migrate":
            migrate(settings)
            print("the stores are ready (ticket store migrated, Rasa's events table in place)", flush=True)
            return 0
        process = launch(args.role, settings)
    except ContainerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execvpe(process.command[0], process.command, process.env)
    return 1  # not reached: exec replaces this process


if __name__ == "__main__":
    sys.exit(main())
