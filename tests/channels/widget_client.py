"""A widget as the server sees it: a socket.io client recording what it receives (channel tests, fuzzing)."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import socketio


class Client:
    """A widget as the server sees it: a socket.io client recording what it receives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: List[tuple] = []
        for event in ("session_confirm", "history", "bot_uttered", "bot_typing", "user_echo", "connect_error"):
            self.sio.on(event, self._recorder(event))

    def _recorder(self, event: str):
        async def record(data: Any) -> None:
            self.received.append((event, data))

        return record

    async def connect(self, token: str | None = None) -> Dict[str, Any]:
        # Long-polling: python-engineio's websocket client needs a newer aiohttp than Rasa allows.
        # The browser tests use the websocket transport.
        await self.sio.connect(self.url, auth={"token": token} if token else None, transports=["polling"])
        await self.sio.emit("session_request", {"session_id": "someone-else"})
        return await self.wait("session_confirm")

    async def close(self) -> None:
        """Leaves at once (a polite polling disconnect waits for the pending long-poll)."""
        await self.sio.eio.disconnect(abort=True)

    async def refused(self, token: str | None) -> Any:
        """Connects with `token` (None: as an anonymous visitor) expecting a refusal; returns the server's reason."""
        await self.sio.connect(self.url, auth={"token": token} if token else None, transports=["polling"],
                               wait=False)
        reason = await self.wait("connect_error")
        await self.sio.eio.disconnect(abort=True)  # a refused client's polling task does not end by itself
        return reason

    async def wait(self, event: str, count: int = 1, timeout: float = 5.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = [data for name, data in self.received if name == event]
            if len(found) >= count:
                return found[count - 1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {event} #{count} within {timeout} s; got {self.received}")

    def all(self, event: str) -> List[Any]:
        return [data for name, data in self.received if name == event]

    async def say(self, text: str, display: str | None = None) -> None:
        await self.sio.emit("user_uttered", {"message": text, "display": display, "session_id": "someone-else"})
