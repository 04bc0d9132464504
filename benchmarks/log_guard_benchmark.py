"""Log guard benchmark: what one log line costs through the guarded JSON handler (bot/logs).

Prints microseconds per line, best of --repeat runs of --lines lines each, for
three kinds of line: a short INFO line as our code writes them, a Rasa DEBUG
line quoting a conversation id inside a turn, and an ERROR line with a
traceback whose message carries a URL with a token and a card number.

    .venv/bin/python -m benchmarks.log_guard_benchmark [--lines 2000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import io
import logging
import time

from bot.logs.context import log_scope
from bot.logs.setup import make_handler
from bot.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    stream = io.StringIO()
    logger = logging.getLogger("benchmarks.log_guard")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(make_handler("benchmark", stream, get_settings().copy(update={"log_format": "json",
                                                                                    "log_hash_key": "k" * 32})))
    try:
        raise RuntimeError("POST https://api.telegram.org/bot123456789:AAFakeTokenabcdefghijklmnopqrstuvwxyz/send"
                           "Message?chat_id=1 failed for 卡号6222020200112233445")
    except RuntimeError as error:
        failure = error

    def info() -> None:
        logger.info("handoff: %s of ticket %s waits for Rasa (%s)", "introduce_agent", 42, "RasaUnavailable")

    def debug_in_turn() -> None:
        with log_scope("wechat:oAbCdEf123456", private=["付款失败了怎么办 我的订单"]):
            logger.debug("Acquired lock for conversation 'wechat:oAbCdEf123456'.")

    def error() -> None:
        logger.error("delivery failed", exc_info=failure)

    for name, line in (("INFO line", info), ("DEBUG line in a turn", debug_in_turn),
                       ("ERROR line with a traceback", error)):
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            for _ in range(args.lines):
                line()
            best = min(best, time.perf_counter() - started)
            stream.seek(0)
            stream.truncate()
        print(f"{name}: {best / args.lines * 1e6:.0f} µs per line")


if __name__ == "__main__":
    main()
