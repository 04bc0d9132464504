"""The commands the servers are started with, read back by Rasa's own argument parser."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from bot.deploy.processes import rasa_server_command
from bot.runtime.api_auth import jwt_arguments
from bot.settings import Settings


def test_the_rasa_command_line_holds_no_secret():
    """`ps` and /proc/<pid>/cmdline are readable by every local user: the API secret stays in the environment."""
    settings = Settings(rasa_token="a-real-secret-of-enough-length-0123")
    command = rasa_server_command(settings, Path("bot/models/m.tar.gz"), 5006)
    assert not any("secret" in part or "token" in part for part in command)
    arguments = create_argument_parser().parse_args(command[3:])
    assert arguments.port == 5006 and arguments.enable_api
    assert arguments.auth_token is None and arguments.jwt_secret is None


@pytest.mark.parametrize("secret", ["plain-secret", "-starts-with-a-dash", "--looks-like-an-option"])
def test_rasa_reads_back_the_jwt_secret_added_inside_the_process(secret):
    """secrets.token_urlsafe may begin with "-": Rasa refused to start then (1 start in 64)."""
    command = rasa_server_command(Settings(), Path("bot/models/m.tar.gz"), 5006)
    arguments = create_argument_parser().parse_args(jwt_arguments(command[3:], secret))
    assert arguments.jwt_secret == secret and arguments.jwt_method == "HS256"
    assert arguments.auth_token is None


def test_a_secret_given_on_the_command_line_or_none_at_all_is_left_as_it_is():
    assert jwt_arguments(["run", "--jwt-secret=mine"], "other") == ["run", "--jwt-secret=mine"]
    assert jwt_arguments(["run"], "") == ["run"]
    assert jwt_arguments(["train"], "secret") == ["train"]
