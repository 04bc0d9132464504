"""The process manager of a start: a supervisord configuration made from the plan, and its control socket.

`bot.cli.serve` writes one `[program:…]` per `ProcessSpec` and runs
supervisord in the foreground. supervisord (a kept tool, not our code)
restarts a process that crashed, backs off a process that keeps failing to
start (it waits 1 s, 2 s, 3 s … between `startretries` attempts, then leaves
it FATAL while the others keep serving), stops everything on SIGTERM or
Ctrl-C, and rotates each process's output file.

Secrets never enter the file: supervisord's children inherit supervisord's
own environment (`os.environ.copy()` in supervisor/process.py, then the
program's `environment=`), so `bot.cli.serve` starts supervisord with the
children's environment, readable only by its owner in /proc/<pid>/environ
and never shown by `ps`. The config syntax could not carry every secret
anyway: `environment=` values lose their quotes and `#` starts a comment.
The file still holds the control socket's password, so it is written
owner-only (0600) in a directory of its owner's (0700), as is the socket.
"""
from __future__ import annotations

import getpass
import os
import secrets
import shlex
import sys
import xmlrpc.client
from pathlib import Path
from typing import Any, Dict, List

from bot.deploy.processes import ProcessSpec
from bot.settings import PROJECT_ROOT, Settings

CONFIG_NAME = "supervisord.conf"
SOCKET_NAME = "supervisord.sock"
USERNAME = "okpay"
#: AF_UNIX paths are at most 107 bytes on Linux.
MAX_SOCKET_PATH = 100
#: supervisord's state names a process is in while it is, or will again be, serving.
ALIVE_STATES = frozenset({"STARTING", "RUNNING", "BACKOFF"})


def _value(text: str) -> str:
    """`text` as a supervisord config value: its `%(name)s` expansion would eat a lone %."""
    return text.replace("%", "%%")


def _command(command: List[str]) -> str:
    return _value(" ".join(shlex.quote(part) for part in command))


def _program(spec: ProcessSpec, priority: int, settings: Settings, log_dir: Path, autorestart: bool) -> str:
    return f"""[program:{spec.name}]
command={_command(spec.command)}
directory={_value(str(PROJECT_ROOT))}
priority={priority}
autostart=true
autorestart={"true" if autorestart else "false"}
startsecs={spec.start_secs}
startretries={settings.restart_retries if autorestart else 0}
stopsignal={spec.stop_signal}
stopwaitsecs={spec.stop_wait_s}
stopasgroup=true
killasgroup=true
environment=OKPAY_PROCESS_NAME="{spec.name}"
redirect_stderr=true
stdout_logfile={_value(str(log_dir / (spec.name + ".log")))}
stdout_logfile_maxbytes={settings.log_max_bytes}
stdout_logfile_backups={settings.log_backups}
"""


def render(specs: List[ProcessSpec], settings: Settings, run_dir: Path, log_dir: Path, password: str,
           autorestart: bool = True) -> str:
    """The whole supervisord.conf: one program per spec, started in plan order and stopped in reverse.

    Without `autorestart` nothing is started again behind the caller's back,
    not even a start that failed (tests that kill processes restart them).
    """
    user = f"user={getpass.getuser()}\n" if os.geteuid() == 0 else ""
    programs = "\n".join(_program(spec, 10 * (index + 1), settings, log_dir, autorestart)
                         for index, spec in enumerate(specs))
    socket = _value(str(run_dir / SOCKET_NAME))
    return f"""; Made by bot/deploy/supervisor.py from the settings; do not edit (it is rewritten at every start).
; Control: .venv/bin/supervisorctl -c {_value(str(run_dir / CONFIG_NAME))} status
[supervisord]
nodaemon=true
{user}logfile={_value(str(log_dir / "supervisord.log"))}
logfile_maxbytes={settings.log_max_bytes}
logfile_backups={settings.log_backups}
pidfile={_value(str(run_dir / "supervisord.pid"))}
childlogdir={_value(str(log_dir))}
umask=027

[unix_http_server]
file={socket}
chmod=0700
username={USERNAME}
password={_value(password)}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{socket}
username={USERNAME}
password={_value(password)}

{programs}"""


def write_config(specs: List[ProcessSpec], settings: Settings, run_dir: Path, log_dir: Path,
                 autorestart: bool = True) -> Path:
    """Writes supervisord.conf (owner-only) with a new control password; returns its path."""
    socket = run_dir / SOCKET_NAME
    if len(str(socket)) > MAX_SOCKET_PATH:
        raise RuntimeError(f"the control socket's path {socket} is too long for a unix socket; "
                           "set OKPAY_LOG_DIR to a shorter path (its parent holds supervisor/)")
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)
    log_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / CONFIG_NAME
    text = render(specs, settings, run_dir, log_dir, secrets.token_urlsafe(24), autorestart)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # an older file keeps its mode through O_CREAT
        file.write(text)
    return path


def supervisord_command(config: Path) -> List[str]:
    return [sys.executable, "-m", "supervisor.supervisord", "--nodaemon", "--configuration", str(config)]


class Supervisor:
    """supervisord's XML-RPC interface (what supervisorctl uses), over the socket named in `config`."""

    def __init__(self, config: Path):
        from supervisor.options import ClientOptions

        options = ClientOptions()
        options.realize(["--configuration", str(config)])
        self.url, self.username, self.password = options.serverurl, options.username, options.password

    def _rpc(self) -> Any:
        from supervisor.xmlrpc import SupervisorTransport

        # A proxy per call: the transport keeps one connection and is not meant to be shared by threads.
        transport = SupervisorTransport(self.username, self.password, self.url)
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def up(self) -> bool:
        """Whether supervisord answers and has started its programs."""
        try:
            return self._rpc().getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
            return False

    def info(self, name: str) -> Dict[str, Any]:
        """supervisord's record of program `name`: statename, pid, spawnerr, exitstatus, start …"""
        return self._rpc().getProcessInfo(name)

    def all(self) -> Dict[str, Dict[str, Any]]:
        return {info["name"]: info for info in self._rpc().getAllProcessInfo()}

    def start(self, name: str) -> None:
        """Starts a stopped, exited or FATAL program (without waiting for it)."""
        self._rpc().startProcess(name, False)

    def stop(self, name: str) -> None:
        self._rpc().stopProcess(name, True)
