"""Rasa's own start-up, made to log through the guarded handler (`logging.yml`, `--logging-config-file`).

`rasa run --logging-config-file logging.yml` (which `python -m
bot.cli.rasa_server` adds) has Rasa apply `logging.yml` first thing; its
handler comes from `handler()` here. Three things Rasa does afterwards would
write around it, so `handler()` also sees to them:

- `rasa.utils.io.configure_colored_logging` (called by Rasa's `main` after
  the configuration file) installs coloredlogs, which replaces any stream
  handler of the root logger with its own plain-text one on stderr. No
  setting turns it off: it is replaced by a function that does nothing while
  our handler is installed (a patch, pinned in tests/logs/test_rasa_start.py
  like those of `bot.rasa_patches`).
- Rasa's structured (structlog) lines are rendered for a terminal unless
  `FORCE_JSON_LOGGING` is set; rendered as JSON, the guard keeps their
  event names and drops their values (`rasa.utils.log_utils.FORCE_JSON_LOGGING`,
  read when Rasa configures structlog, after this).
- jieba (the tokenizer) adds its own stderr handler when imported: imported
  here, it loses it, and its lines follow the root logger's level.
- Sanic and the loggers Rasa detaches (`propagate = False`: Sanic's,
  socket.io's, TensorFlow's) reach the handler through `logging.lastResort`
  (`bot.logs.setup.route_libraries_here`).
"""
from __future__ import annotations

import logging
from functools import wraps
from typing import Any, Callable

from bot.logs.setup import GuardedHandler, make_handler, our_handler, route_libraries_here
from bot.settings import get_settings

PROCESS = "rasa"


def _unless_guarded(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def configure_colored_logging(*args: Any, **kwargs: Any) -> None:
        if our_handler() is None:
            original(*args, **kwargs)

    configure_colored_logging._okpay_patched = True  # type: ignore[attr-defined]
    return configure_colored_logging


def keep_guarded_handler() -> None:
    """Replaces `rasa.utils.io.configure_colored_logging` (once) and asks Rasa's structlog for JSON."""
    import rasa.utils.io
    import rasa.utils.log_utils

    current = rasa.utils.io.configure_colored_logging
    if not getattr(current, "_okpay_patched", False):
        rasa.utils.io.configure_colored_logging = _unless_guarded(current)
    rasa.utils.log_utils.FORCE_JSON_LOGGING = "1"


def without_own_handlers(logger_name: str) -> None:
    """The logger keeps no handler of its own and follows the root logger's level."""
    logger = logging.getLogger(logger_name)
    for other in list(logger.handlers):
        logger.removeHandler(other)
    logger.setLevel(logging.NOTSET)


def quiet_jieba() -> None:
    import jieba  # noqa: F401 - its import adds the handler removed here

    without_own_handlers("jieba")


def handler() -> GuardedHandler:
    """The handler `logging.yml` names: the guarded one, with the root logger at OKPAY_LOG_LEVEL."""
    settings = get_settings()
    made = make_handler(PROCESS, settings=settings)
    logging.getLogger().setLevel(settings.log_level)
    route_libraries_here(made)
    keep_guarded_handler()
    quiet_jieba()
    return made
