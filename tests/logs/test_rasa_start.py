"""Rasa's start-up, given logging.yml, logs only guarded JSON lines; the one replaced function is pinned.

`bot.logs.rasa_start` relies on what Rasa 3.6.21's `main` does after applying
the logging file (coloredlogs, then structlog reading FORCE_JSON_LOGGING):
the sources it follows are pinned by hash, so an upgrade that changes them
fails here (check the module's docstring again, then update the hash).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys

import pytest
import rasa.__main__
import rasa.utils.common
import rasa.utils.io
import rasa.utils.log_utils

from bot.cli.rasa_server import logging_arguments
from bot.settings import PROJECT_ROOT

PINNED = {
    rasa.utils.io.configure_colored_logging: "19ab6f36d98048df",
    rasa.__main__.main: "2f38a2b1d86fd943",
    rasa.utils.log_utils.configure_structlog: "80c9dcfa47c776b5",
    rasa.utils.common.configure_logging_and_warnings: "b26ebc5553b6fa2f",
}

#: Rasa's own start-up steps of logging, in its order, then lines as Rasa logs them at DEBUG.
RASA_START = """
import logging, structlog, sys
from rasa.utils.common import configure_logging_and_warnings
import rasa.utils.io
from rasa.utils.log_utils import configure_structlog
configure_logging_and_warnings(None, sys.argv[1], warn_only_once=True, filter_repeated_logs=True)
rasa.utils.io.configure_colored_logging(None)
configure_structlog(None)
structlog.get_logger().debug("processor.message.parse", parse_data_text="zxqvbn 卡号6222020200112233445",
                             action_name="action_listen")
logging.getLogger("rasa.core.processor").debug("Received user message 'zxqvbn' with intent 'greet'")
logging.getLogger("sanic.error").error("Exception occurred while handling uri: "
                                       "'http://h/webhooks/wechat/webhook?openid=oSECRET1&signature=abc'")
"""


def source_hash(function) -> str:
    function = inspect.unwrap(function)
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


@pytest.mark.parametrize("function", list(PINNED), ids=lambda f: f.__qualname__)
def test_the_rasa_source_followed_is_unchanged(function):
    assert source_hash(function) == PINNED[function], f"Rasa's {function.__qualname__} changed: see the docstring"


def test_rasa_s_start_up_with_logging_yml_writes_only_guarded_json_lines(tmp_path):
    env = {**os.environ, "LOG_LEVEL": "DEBUG", "OKPAY_LOG_LEVEL": "DEBUG", "OKPAY_PROCESS_NAME": "rasa-2",
           "OKPAY_LOG_HASH_KEY": "k" * 32, "PYTHONPATH": str(PROJECT_ROOT), "LOG_LEVEL_LIBRARIES": "DEBUG"}
    env.pop("FORCE_JSON_LOGGING", None)
    done = subprocess.run([sys.executable, "-c", RASA_START, str(PROJECT_ROOT / "logging.yml")], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # coloredlogs' handler would write here
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(line["process"] == "rasa-2" for line in lines)
    events = [line["event"] for line in lines]
    assert "processor.message.parse action_name=action_listen" in events
    assert "Received user message [text not logged]" in events
    assert "Exception occurred while handling uri: 'http://h/webhooks/wechat/webhook***'" in events
    assert "zxqvbn" not in done.stdout and "6222020200112233445" not in done.stdout and "oSECRET1" not in done.stdout


def test_the_wrapper_adds_the_logging_file_to_rasa_run_only():
    yml = str(PROJECT_ROOT / "logging.yml")
    assert logging_arguments(["run", "--enable-api"]) == ["run", "--enable-api", "--logging-config-file", yml]
    assert logging_arguments(["run", "--logging-config-file", "mine.yml"]) == ["run", "--logging-config-file",
                                                                              "mine.yml"]
    assert logging_arguments(["run", "actions"]) == ["run", "actions"]
    assert logging_arguments(["shell"]) == ["shell"]
    assert logging_arguments(["--version"]) == ["--version"]
