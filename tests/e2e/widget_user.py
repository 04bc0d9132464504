"""A signed-in user of the chat widget, through socket.io as the host app's page opens it (end-to-end tests)."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, List

import socketio

from bot.widget.tokens import user_token


class WidgetUser:
    """Talks on the widget's socket; a turn ends when the server says the bot stopped typing."""

    def __init__(self, url: str, secret: str, subject: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.events: List[tuple] = []
        self.changed = threading.Condition()
        self.read = 0  # how many bot messages were already returned
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "bot_typing"):
            self.sio.on(name, self._recorder(name))
        # Long-polling, as tests/channels/widget_client.py does (the websocket client needs a newer aiohttp).
        self.sio.connect(url, auth={"token": user_token(secret, "HS256", subject)}, transports=["polling"])
        self.sio.emit("session_request", {})
        self._wait(lambda: self._count("session_confirm") >= 1, "the session")

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(data: Any = None) -> None:
            with self.changed:
                self.events.append((name, data))
                self.changed.notify_all()

        return record

    def _count(self, name: str, **fields: Any) -> int:
        return sum(1 for event, data in self.events
                   if event == name and all((data or {}).get(k) == v for k, v in fields.items()))

    def _wait(self, done: Callable[[], bool], what: str, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self.changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    if timeout is None:
                        raise AssertionError(f"no {what} within {self.timeout} s; got {self.events}")
                    return False
                self.changed.wait(left)
        return True

    def _take(self) -> List[str]:
        with self.changed:
            texts = [data.get("text") for event, data in self.events if event == "bot_uttered"]
            new, self.read = texts[self.read:], len(texts)
        return new

    def say(self, text: str) -> List[str]:
        ended = self._count("bot_typing", typing=False)
        self.sio.emit("user_uttered", {"message": text})
        self._wait(lambda: self._count("bot_typing", typing=False) > ended, f"answer to {text!r}")
        return self._take()

    def pushed(self, count: int, timeout: float = 15.0) -> List[str]:
        def arrived() -> bool:
            return self._count("bot_uttered") - self.read >= count

        self._wait(arrived, f"{count} pushed messages", timeout)
        return self._take()

    def close(self) -> None:
        self.sio.disconnect()
