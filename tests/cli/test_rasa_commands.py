"""`scripts/rasa`: Rasa's own commands with the project's paths, settings and action server."""
from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import time
from pathlib import Path

import pytest

from bot.cli.rasa_commands import rasa_arguments
from bot.model_files import model_name, model_path
from bot.settings import PROJECT_ROOT, Settings
from tests.servers import free_port

CARD = "6222020200112233445"


def value_after(arguments, option):
    return arguments[arguments.index(option) + 1]


def test_train_gets_the_layouts_paths_and_the_name_scripts_run_looks_for():
    arguments = rasa_arguments(["train"], Settings())
    assert value_after(arguments, "--data") == str(PROJECT_ROOT / "bot" / "data")
    assert value_after(arguments, "--out") == str(PROJECT_ROOT / "bot" / "models")
    assert value_after(arguments, "--fixed-model-name") == model_name()


def test_the_callers_options_win_over_the_defaults():
    arguments = rasa_arguments(["shell", "--model", "other.tar.gz", "--debug"], Settings())
    assert arguments.count("--model") == 1 and value_after(arguments, "--model") == "other.tar.gz"
    assert "--debug" in arguments and value_after(arguments, "--endpoints").endswith("endpoints.yml")
    assert rasa_arguments(["train", "-d", "mine"], Settings()).count("--data") == 0


@pytest.mark.parametrize("deployment, endpoints", [("embedded", "endpoints.yml"),
                                                   ("replicated", "endpoints.production.yml")])
def test_run_serves_the_project_with_the_deployments_endpoints(deployment, endpoints):
    arguments = rasa_arguments(["run"], Settings(deployment=deployment))
    assert value_after(arguments, "--endpoints") == str(PROJECT_ROOT / endpoints)
    assert value_after(arguments, "--credentials") == str(PROJECT_ROOT / "credentials.yml")
    assert value_after(arguments, "--model") == str(model_path()) and "--enable-api" in arguments


def test_test_validate_and_other_commands():
    assert rasa_arguments(["test", "core", "--stories", "tests/stories"], Settings())[:2] == ["test", "core"]
    assert "--model" in rasa_arguments(["test", "nlu"], Settings())
    assert "--domain" in rasa_arguments(["data", "validate"], Settings())
    assert rasa_arguments(["--version"], Settings()) == ["--version"]


class Terminal:
    """`scripts/rasa shell` in a pseudo-terminal, as a developer types into it."""

    def __init__(self, env) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child
            os.chdir(PROJECT_ROOT)
            os.execvpe("scripts/rasa", ["scripts/rasa", "shell"], env)
        self.output = b""

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.fd, 65536)
                except OSError:
                    return False
                if text.encode() in self.output:
                    return True
        return False

    def type(self, text: str) -> None:
        self.output = b""
        os.write(self.fd, text.encode() + b"\r")

    def close(self) -> None:
        try:
            os.write(self.fd, b"/stop\r")
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                time.sleep(0.2)
        finally:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            os.close(self.fd)


@pytest.mark.e2e
def test_rasa_shell_runs_a_guide_with_the_action_server_and_stores_no_card_number(tmp_path: Path):
    if not model_path().exists():
        pytest.fail("no trained model: scripts/test trains it first")
    home = tmp_path / "var"
    env = {**os.environ, "OKPAY_TRACKER_DB": str(home / "tracker.db"), "OKPAY_LOG_DIR": str(tmp_path / "log"),
           "OKPAY_DATABASE_URL": f"sqlite:///{home / 'tickets.db'}", "OKPAY_ACTION_PORT": str(free_port()),
           "OKPAY_ENVIRONMENT": "development"}
    terminal = Terminal(env)
    try:
        assert terminal.wait_for("Your input", 240), terminal.output[-2000:]
        terminal.type("我的提现三天了还没到账")
        assert terminal.wait_for("第1步", 60), terminal.output.decode(errors="replace")[-2000:]
        terminal.type("1")  # the first button
        terminal.wait_for("Your input", 30)
        terminal.type(f"卡号是{CARD}")
        assert terminal.wait_for("已经隐藏", 60), terminal.output.decode(errors="replace")[-2000:]
        assert terminal.wait_for("Your input", 60)  # the turn is stored before the shell asks again
    finally:
        terminal.close()
    with sqlite3.connect(home / "tracker.db") as connection:
        stored = [json.loads(row[0]) for row in connection.execute("SELECT data FROM events")]
    assert "卡号是[已隐藏]" in [event["text"] for event in stored if event["event"] == "user"]
    assert CARD not in json.dumps(stored, ensure_ascii=False)
    # The guide's step came from the action server the wrapper started.
    assert any(event.get("name") == "action_guide_start" for event in stored)
