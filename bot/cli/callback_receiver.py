"""An HTTP endpoint for what Rasa's callback channel posts (bot and agent messages).

The terminal chat of `scripts/run` listens here, so an agent's reply from the
console appears in the terminal while the user waits; the end-to-end tests
use it as the user's side of the channel.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List

Message = Dict[str, Any]


class CallbackReceiver:
    """Collects posted messages by `recipient_id`; `on_message` also sees each one as it arrives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, on_message: Callable[[Message], None] | None = None):
        self.messages: Dict[str, List[Message]] = {}
        self._lock = threading.Lock()
        self.on_message = on_message
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver._add(body if isinstance(body, dict) else {})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/bot"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _add(self, message: Message) -> None:
        if self.on_message is not None:
            self.on_message(message)
            return
        with self._lock:
            self.messages.setdefault(message.get("recipient_id"), []).append(message)

    def take(self, recipient: str) -> List[str]:
        """The texts received for `recipient` since the last call."""
        with self._lock:
            return [m.get("text") for m in self.messages.pop(recipient, [])]

    def wait_for(self, recipient: str, count: int, timeout: float = 15.0) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages.get(recipient, [])) >= count:
                    break
            time.sleep(0.05)
        return self.take(recipient)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
