"""A known hash key for the logs' tests, and records logged through a guarded handler into a list."""
from __future__ import annotations

import io
import json
import logging
from typing import Dict, List

import pytest

from bot.logs.hashing import reset_hash_key
from bot.logs.setup import make_handler
from bot.settings import Settings, get_settings, reset_settings_cache

KEY = "log-hash-key-for-tests-0123456789"


@pytest.fixture
def hash_key(monkeypatch):
    monkeypatch.setenv("OKPAY_LOG_HASH_KEY", KEY)
    reset_settings_cache()
    reset_hash_key()
    yield KEY
    monkeypatch.undo()
    reset_settings_cache()
    reset_hash_key()


class Lines:
    """A logger whose records go through a guarded JSON handler into a buffer, read back as parsed lines."""

    def __init__(self, settings: Settings) -> None:
        self.stream = io.StringIO()
        self.handler = make_handler("tests-1", self.stream, settings.copy(update={"log_format": "json"}))
        self.logger = logging.getLogger("tests.logs.sample")
        self.logger.propagate = False
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self.handler)

    def raw(self) -> str:
        return self.stream.getvalue()

    def read(self) -> List[Dict]:
        return [json.loads(line) for line in self.raw().splitlines()]

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = True


@pytest.fixture
def lines(hash_key):
    reader = Lines(get_settings())
    yield reader
    reader.close()
