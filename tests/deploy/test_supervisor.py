"""supervisord's configuration made from the plan: what supervisor itself reads back, and a real supervisord
with small programs (a secret that reaches the child intact, a crash restarted, a crash loop given up on)."""
from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Iterator, List

import pytest
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions

from bot.deploy.processes import ProcessSpec, plan
from bot.deploy.supervisor import Supervisor, supervisord_command, write_config
from bot.settings import PROJECT_ROOT, Settings

#: What a generated secret may hold and supervisord's config syntax would not carry (quotes, #, %, commas).
HOSTILE_SECRET = "a\"b'c#d%(here)s,e=f g-0123456789abcdefghij"


def read_back(config: Path) -> ServerOptions:
    """The configuration as supervisord parses it."""
    options = ServerOptions()
    options.realize(["--configuration", str(config)])
    return options


def test_one_program_per_process_of_the_plan_with_its_command_intact(tmp_path):
    settings = Settings(deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
                        redis_url="redis://127.0.0.1:6379/0", rasa_replicas=2, action_replicas=2,
                        restart_retries=4, log_max_bytes=1024 * 1024, log_backups=3)
    nginx_config = tmp_path / "100%" / "nginx.conf"  # a % in a path: supervisord would read %(…)s in it
    specs = plan(settings, Path("bot/models/model 1.tar.gz"), nginx_config, Path("/usr/sbin/nginx"))
    config = write_config(specs, settings, tmp_path / "supervisor", tmp_path / "log", autorestart=True)
    programs = {program.name: program for group in read_back(config).process_group_configs
                for program in group.process_configs}
    assert list(programs) == ["nginx", "actions-1", "actions-2", "console", "rasa-1", "rasa-2"]
    for spec in specs:
        program = programs[spec.name]
        assert shlex.split(program.command) == spec.command  # spaces and % survive (split as supervisord does)
        assert program.autorestart is RestartUnconditionally and program.startretries == 4
        assert program.startsecs == spec.start_secs and program.stopwaitsecs == spec.stop_wait_s
        assert program.stopasgroup and program.killasgroup and program.redirect_stderr
        assert program.stdout_logfile == str(tmp_path / "log" / f"{spec.name}.log")
        assert program.stdout_logfile_maxbytes == 1024 * 1024 and program.stdout_logfile_backups == 3
        assert program.directory == str(PROJECT_ROOT)
        assert program.environment == {"OKPAY_PROCESS_NAME": spec.name}  # the `process` of its log lines
    # Started in plan order (nginx first), so stopped in reverse (Rasa first, nginx last).
    assert [programs[spec.name].priority for spec in specs] == sorted(programs[s.name].priority for s in specs)
    assert programs["rasa-1"].startsecs > programs["nginx"].startsecs
    # Tests that kill processes and restart them themselves: nothing restarts behind their back.
    kept_down = write_config(specs, settings, tmp_path / "supervisor", tmp_path / "log", autorestart=False)
    assert {(program.autorestart, program.startretries) for group in read_back(kept_down).process_group_configs
            for program in group.process_configs} == {(False, 0)}


def test_the_file_and_its_directory_are_their_owners_only_and_a_restart_gets_a_new_password(tmp_path):
    specs = [ProcessSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], "", ())]
    run_dir = tmp_path / "supervisor"
    run_dir.mkdir(mode=0o755)
    (run_dir / "supervisord.conf").write_text("old", encoding="utf-8")
    (run_dir / "supervisord.conf").chmod(0o644)  # left by someone else: rewriting it must not keep this mode
    config = write_config(specs, Settings(), run_dir, tmp_path / "log")
    assert config.stat().st_mode & 0o777 == 0o600
    assert run_dir.stat().st_mode & 0o777 == 0o700
    first = read_back(config).server_configs[0]
    assert first["section"] == "unix_http_server" and first["chmod"] == 0o700 and first["password"]
    second = read_back(write_config(specs, Settings(), run_dir, tmp_path / "log")).server_configs[0]
    assert second["password"] != first["password"]


def test_a_socket_path_too_long_for_unix_sockets_is_refused_before_start(tmp_path):
    deep = tmp_path / ("d" * 120)
    with pytest.raises(RuntimeError, match="too long"):
        write_config([], Settings(), deep, tmp_path / "log")


@contextlib.contextmanager
def supervised(tmp_path: Path, specs: List[ProcessSpec], env: dict, settings: Settings) -> Iterator[Supervisor]:
    config = write_config(specs, settings, tmp_path / "supervisor", tmp_path / "log")
    (tmp_path / "log").mkdir(exist_ok=True)
    daemon = subprocess.Popen(supervisord_command(config), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    control = Supervisor(config)
    try:
        deadline = time.monotonic() + 30
        while not control.up():
            assert daemon.poll() is None and time.monotonic() < deadline, "supervisord did not start"
            time.sleep(0.1)
        yield control
    finally:
        daemon.terminate()
        daemon.wait(30)


def wait_for(check, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_secrets_reach_the_child_intact_through_the_environment_and_never_the_file_or_command_line(tmp_path):
    dump = tmp_path / "seen"
    child = [sys.executable, "-c",
             f"import os, pathlib, time; pathlib.Path({str(dump)!r}).write_text(os.environ['OKPAY_RASA_TOKEN']); "
             "time.sleep(60)"]
    env = dict(os.environ, OKPAY_RASA_TOKEN=HOSTILE_SECRET)
    with supervised(tmp_path, [ProcessSpec("child", child, "", (), start_secs=1)], env, Settings()) as control:
        wait_for(dump.exists)
        assert wait_for(lambda: dump.read_text()) == HOSTILE_SECRET
        pid = control.info("child")["pid"]
        assert HOSTILE_SECRET not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    assert HOSTILE_SECRET not in (tmp_path / "supervisor" / "supervisord.conf").read_text(encoding="utf-8")


def test_a_crash_is_restarted_and_a_crash_loop_is_backed_off_to_fatal_while_the_others_run(tmp_path):
    steady = ProcessSpec("steady", [sys.executable, "-c", "import time; time.sleep(600)"], "", (), start_secs=1)
    failing = ProcessSpec("failing", [sys.executable, "-c", "print('no luck'); raise SystemExit(3)"], "", (),
                          start_secs=1)
    with supervised(tmp_path, [steady, failing], dict(os.environ), Settings(restart_retries=3)) as control:
        first = wait_for(lambda: control.info("steady")["statename"] == "RUNNING" and control.info("steady")["pid"])
        os.kill(first, 9)
        # Restarted (it had been up longer than startsecs: a crash, not a failed start). Until supervisord has
        # noticed the death it still reports the old pid as running: wait for another one.
        second = wait_for(lambda: control.info("steady")["statename"] == "RUNNING"
                          and control.info("steady")["pid"] not in (0, first) and control.info("steady")["pid"])
        assert second != first
        wait_for(lambda: control.info("failing")["statename"] == "FATAL")
        assert (tmp_path / "log" / "failing.log").read_text().count("no luck") == 4  # the start and 3 retries
        # … 1 s, 2 s, 3 s apart: a backoff, not a tight loop.
        spawns = [datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                  for line in (tmp_path / "log" / "supervisord.log").read_text().splitlines()
                  if "spawned: 'failing'" in line]
        gaps = [(later - earlier).total_seconds() for earlier, later in zip(spawns[:-1], spawns[1:], strict=True)]
        assert len(gaps) == 3 and gaps[0] >= 0.9 and gaps[1] >= 1.9 and gaps[2] >= 2.9, gaps
        assert control.info("steady")["statename"] == "RUNNING" and control.info("steady")["pid"] == second
        # An operator's `supervisorctl start failing` tries again.
        control.start("failing")
        wait_for(lambda: (tmp_path / "log" / "failing.log").read_text().count("no luck") > 4)
