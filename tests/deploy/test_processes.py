"""The commands the servers are started with, read back by Rasa's own argument parser."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from bot.deploy.processes import rasa_server_command
from bot.settings import Settings


@pytest.mark.parametrize("token", ["plain-token", "-starts-with-a-dash", "--looks-like-an-option"])
def test_rasa_reads_back_every_token(token):
    """secrets.token_urlsafe may begin with "-": Rasa refused to start then (1 start in 64)."""
    command = rasa_server_command(Settings(), Path("bot/models/m.tar.gz"), token, 5006)
    arguments = create_argument_parser().parse_args(command[3:])
    assert arguments.auth_token == token
    assert arguments.port == 5006 and arguments.enable_api
