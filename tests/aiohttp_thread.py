"""An aiohttp app served in a thread with its own event loop (browser tests drive it from the main thread)."""
from __future__ import annotations

import asyncio
import threading
from typing import Callable

from aiohttp import web


class AiohttpThread:
    def __init__(self, make_app: Callable[[], web.Application], port: int, name: str = "aiohttp-app") -> None:
        self.make_app, self.port, self.name = make_app, port, name
        self.url = f"http://127.0.0.1:{port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.make_app(), access_log=None)
        try:
            self.loop.run_until_complete(runner.setup())
            self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        except BaseException as error:  # noqa: BLE001 - reported to the test thread
            self.error = error
            self.ready.set()
            return
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(runner.cleanup())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(15) or self.error is not None:
            raise RuntimeError(f"{self.name} did not start: {self.error!r}")

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(15)
