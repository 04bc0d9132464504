"""A PostgreSQL cluster of a test session's own: Debian's initdb and pg_ctl, a private port and directory.

The fault tests restart and stop PostgreSQL; they must never do that to the
machine's own server (other work uses it). This cluster lives in a temporary
directory, listens on 127.0.0.1 at a free port with trust authentication, and
is removed afterwards. As root, the server runs as the `postgres` user
(PostgreSQL refuses to run as root).
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List

from tests.servers import free_port


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's server programs are missing (Debian package postgresql)")
    return Path(found[-1]).parent


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="okpay-pg-"))
        self.data = self.home / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.home, "postgres", "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, program: str, *args: str) -> None:
        command: List[str] = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr or result.stdout}")

    def _options(self) -> str:
        return f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self) -> None:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.home / "server.log"),
                  "-w", "-t", "60", "start")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.home / "server.log"),
                  "-m", "fast", "-w", "-t", "60", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
