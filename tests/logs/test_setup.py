"""One guarded handler per process: libraries' own handlers and orphan loggers end up in it; format by setting."""
from __future__ import annotations

import io
import json
import logging
import warnings

import pytest
from sanic.log import LOGGING_CONFIG_DEFAULTS

from bot.logs.setup import JSON, TEXT, GuardedHandler, chosen_format, configure_logging, our_handler
from bot.settings import Settings


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_unless_text_is_chosen_or_a_person_reads_a_terminal_outside_production():
    assert chosen_format(Settings(), io.StringIO()) == JSON
    assert chosen_format(Settings(), Terminal()) == TEXT
    assert chosen_format(Settings(environment="production", rasa_token="t" * 30, action_secret="s" * 30),
                         Terminal()) == JSON
    assert chosen_format(Settings(log_format="json"), Terminal()) == JSON
    with pytest.raises(ValueError):
        Settings(log_format="xml")
    with pytest.raises(ValueError):
        Settings(log_level="LOUD")


def test_every_record_of_the_process_goes_through_the_one_guarded_handler(saved_logging, hash_key):
    stream = io.StringIO()
    library = logging.getLogger("tests.logs.library_with_its_own_handler")
    plain = io.StringIO()
    library.addHandler(logging.StreamHandler(plain))
    detached = logging.getLogger("tests.logs.detached")  # as Rasa detaches TensorFlow's and Sanic's loggers
    detached.propagate = False
    try:
        configure_logging("console", stream, Settings(log_level="DEBUG", log_format="json"))
        assert isinstance(our_handler(), GuardedHandler) and logging.getLogger().handlers == [our_handler()]
        assert all(not config["handlers"] for config in LOGGING_CONFIG_DEFAULTS["loggers"].values())
        library.info("from a library, 卡号6222020200112233445")
        detached.warning("from a detached logger")
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("a warning", DeprecationWarning, stacklevel=1)
    finally:
        library.handlers.clear()
        detached.propagate = True
    assert plain.getvalue() == ""
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events[:2] == ["from a library, 卡号[已隐藏]", "from a detached logger"]
    assert "DeprecationWarning: a warning" in events[2]
