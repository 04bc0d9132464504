"""What `scripts/run` ends with: `python -m bot.cli.serve --chat`, and Ctrl-C."""
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from bot.settings import PROJECT_ROOT
from tests.servers import free_port

pytestmark = pytest.mark.e2e


def read_until(stream, marker: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{marker!r} not seen; output so far:\n{seen}")
        chunk = os.read(stream.fileno(), 4096).decode("utf-8", "replace")
        if not chunk:
            raise AssertionError(f"output ended before {marker!r}:\n{seen}")
        seen += chunk
    return seen


def test_chat_in_the_terminal_then_ctrl_c_stops_everything(tmp_path, domain):
    env = dict(
        os.environ,
        OKPAY_RASA_PORT=str(free_port()),
        OKPAY_ACTION_PORT=str(free_port()),
        OKPAY_CONSOLE_PORT=str(free_port()),
        OKPAY_CALLBACK_URL=f"http://127.0.0.1:{free_port()}/bot",
        OKPAY_TRACKER_DB=str(tmp_path / "chat.db"),
        OKPAY_TICKET_DB=str(tmp_path / "tickets.db"),
        OKPAY_LOG_DIR=str(tmp_path / "log"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.serve", "--chat"],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        read_until(process.stdout, "you > ", timeout=180)
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 3  # action server, console, Rasa
        process.stdin.write("你好\n".encode())
        process.stdin.flush()
        greeting = domain["responses"]["utter_greet"][0]["text"]
        read_until(process.stdout, greeting, timeout=30)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
        assert process.wait(timeout=30) == 0
        gone, alive = psutil.wait_procs(children, timeout=15)
        assert alive == []
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
