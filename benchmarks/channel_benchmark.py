"""Channel benchmark: how fast each channel answers, through the real bot.

Starts the real stack (actions, Rasa with the current model, console) with
every channel on, WeChat and Telegram pointed at the local fakes of their
APIs (`tests/fakes/`), then sends the same short conversation on each
channel, from several users one after another:
  - WeChat: time from the signed POST to the passive reply, and how many
    answers made the passive reply (within the 4 s deadline) rather than the
    customer-service API;
  - Telegram: time from the update's POST to the last sendMessage;
  - widget: time from `user_uttered` to the bot's last message (socket.io,
    long-polling client).
Prints p50/p95/max per channel. Nothing leaves 127.0.0.1.

    .venv/bin/python -m benchmarks.channel_benchmark [--users 10]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import List

import requests
import socketio

from bot.cli.serve import running_stack
from bot.settings import Settings
from bot.widget.tokens import user_token
from tests.fakes.telegram_api import FakeTelegramAPI, text_update
from tests.fakes.wechat_api import FakeWeChatAPI
from tests.servers import free_port

TURNS = ["你好", "付款一直失败", "没解决", "手续费多少", "谢谢"]
WECHAT_TOKEN, TELEGRAM_SECRET, WIDGET_SECRET = "bench-wechat", "bench-telegram", "bench-widget-secret-0123456789abcd"
_ids = itertools.count(int(2e9))


def summary(name: str, values: List[float], extra: str = "") -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (f"{name:9} {len(values):4} turns  p50 {statistics.median(values) * 1000:7.1f} ms  "
            f"p95 {p95 * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms{extra}")


def wechat_turns(rasa_url: str, users: int) -> tuple[List[float], int]:
    times, passive = [], 0
    for user in range(users):
        for text in TURNS:
            body = FakeWeChatAPI.text_message_xml(f"o6_bench_{user}", text, next(_ids)).encode("utf-8")
            started = time.perf_counter()
            response = requests.post(f"{rasa_url}/webhooks/wechat/webhook",
                                     params=FakeWeChatAPI.signed_query(WECHAT_TOKEN), data=body, timeout=30)
            times.append(time.perf_counter() - started)
            passive += response.text != "success"
    return times, passive


def telegram_turns(rasa_url: str, users: int) -> List[float]:
    times = []
    for user in range(users):
        for text in TURNS:
            started = time.perf_counter()
            requests.post(f"{rasa_url}/webhooks/telegram/webhook", json=text_update(900000 + user, text),
                          headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=30)
            times.append(time.perf_counter() - started)
    return times


async def widget_turns(rasa_url: str, users: int) -> List[float]:
    times = []
    for user in range(users):
        client = socketio.AsyncClient(reconnection=False)
        typing_off = asyncio.Event()

        @client.on("bot_typing")
        async def typing(data, done: asyncio.Event = typing_off) -> None:
            if not data.get("typing"):
                done.set()

        await client.connect(rasa_url, auth={"token": user_token(WIDGET_SECRET, "HS256", f"bench-{user}")},
                             transports=["polling"])
        await client.emit("session_request", {})
        for text in TURNS:
            typing_off.clear()
            started = time.perf_counter()
            await client.emit("user_uttered", {"message": text})
            await asyncio.wait_for(typing_off.wait(), 30)  # typing ends once the bot's messages are out
            times.append(time.perf_counter() - started)
        await client.eio.disconnect(abort=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home, FakeWeChatAPI() as wechat, FakeTelegramAPI() as telegram:
        settings = Settings(
            # A benchmark is one client sending far more than a user would: no rate limits.
            rate_messages_per_minute=0, rate_messages_per_minute_per_address=0,
            rate_new_visitors_per_hour_per_address=0,
            rasa_port=free_port(), action_port=free_port(), console_port=free_port(),
            tracker_db=Path(home) / "tracker.db", ticket_db=Path(home) / "tickets.db", log_dir=Path(home) / "log",
            widget_jwt_secret=WIDGET_SECRET, wechat_token=WECHAT_TOKEN, wechat_app_id=wechat.app_id,
            wechat_app_secret=wechat.app_secret, wechat_api_url=wechat.url, telegram_token=telegram.token,
            telegram_secret_token=TELEGRAM_SECRET, telegram_api_url=telegram.url,
        )
        with running_stack(settings) as stack:
            wechat_times, passive = wechat_turns(stack.rasa_url, args.users)
            telegram_times = telegram_turns(stack.rasa_url, args.users)
            widget_times = asyncio.run(widget_turns(stack.rasa_url, args.users))
    print(summary("wechat", wechat_times, f"  passive replies {passive}/{len(wechat_times)}"))
    print(summary("telegram", telegram_times))
    print(summary("widget", widget_times))


if __name__ == "__main__":
    main()
