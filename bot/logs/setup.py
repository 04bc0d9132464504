"""Every record of a process through one guarded handler, as JSON lines on stdout (or readable lines).

`configure_logging("console")` is the first thing our entry points do; Rasa
gets the same handler from `logging.yml` through its own
`--logging-config-file` (`bot.logs.rasa_start`). The handler writes to
stdout: the container runtime, supervisord or the launcher (var/log/<process>.log)
collect and rotate it. Command-line jobs log to stderr instead, so their own
output (a CSV, a report) stays clean.

Libraries that bring their own handlers would write around the guard, so
they are routed here too: Sanic's default logging configuration loses its
handlers (its loggers then reach this one by propagation, or through
`logging.lastResort`, which becomes this handler for loggers that propagate
nothing, such as those Rasa detaches), and Python's warnings are logged
(`logging.captureWarnings`).

Settings (docs/logging.md): `OKPAY_LOG_FORMAT` json | text (empty: text when
the stream is a terminal outside production, JSON otherwise),
`OKPAY_LOG_LEVEL`, `OKPAY_PROCESS_NAME` (the launcher sets it per process).
"""
from __future__ import annotations

import logging
import sys
from typing import TextIO

from bot.logs.formatting import JsonLineFormatter, TextLineFormatter
from bot.logs.guard import LogGuard
from bot.settings import Settings, get_settings

JSON, TEXT = "json", "text"


class GuardedHandler(logging.StreamHandler):
    """The one handler of a process (a class of its own, so it is recognised: `our_handler`)."""


def chosen_format(settings: Settings, stream: TextIO) -> str:
    """JSON unless asked for text, or left to choose in a terminal outside production (people read it there)."""
    if settings.log_format:
        return settings.log_format
    interactive = getattr(stream, "isatty", lambda: False)()
    return TEXT if interactive and settings.environment != "production" else JSON


def make_handler(process: str, stream: TextIO | None = None, settings: Settings | None = None) -> GuardedHandler:
    """The guarded handler: `process` names the lines unless OKPAY_PROCESS_NAME does."""
    settings = settings or get_settings()
    stream = stream or sys.stdout
    name = settings.process_name or process
    handler = GuardedHandler(stream)
    handler.addFilter(LogGuard())
    handler.setFormatter(JsonLineFormatter(name) if chosen_format(settings, stream) == JSON
                         else TextLineFormatter(name))
    return handler


def our_handler() -> GuardedHandler | None:
    return next((handler for handler in logging.getLogger().handlers if isinstance(handler, GuardedHandler)), None)


def route_libraries_here(handler: logging.Handler) -> None:
    """Libraries' own stream handlers removed (now and in Sanic's default configuration); orphans to `handler`."""
    logging.lastResort = handler
    logging.captureWarnings(True)
    try:
        from sanic.log import LOGGING_CONFIG_DEFAULTS
    except ImportError:  # pragma: no cover - Sanic is installed with Rasa
        LOGGING_CONFIG_DEFAULTS = {"loggers": {}}
    for logger_config in LOGGING_CONFIG_DEFAULTS["loggers"].values():
        logger_config["handlers"] = []
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for other in list(logger.handlers):
                if isinstance(other, logging.StreamHandler) and other is not handler:
                    logger.removeHandler(other)


def configure_logging(process: str, stream: TextIO | None = None, settings: Settings | None = None
                      ) -> GuardedHandler:
    """Makes the guarded handler the only one of this process (root), at OKPAY_LOG_LEVEL; returns it."""
    settings = settings or get_settings()
    handler = make_handler(process, stream, settings)
    root = logging.getLogger()
    for other in list(root.handlers):
        root.removeHandler(other)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    route_libraries_here(handler)
    return handler
