"""Following the event stream from where a reader stopped (the console's live view)."""
from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator, List

from bot.stream.backends import DEFAULT_KEY, NOW, Entry, RedisStream, open_stream

logger = logging.getLogger(__name__)

#: How often a SQLite stream is asked for new rows (Redis readers block instead).
POLL_S = 0.2
#: How long a Redis reader blocks on one XREAD before asking again.
BLOCK_MS = 1000
#: Pause after the stream failed (Redis down, file locked) before trying again.
RETRY_S = 1.0


class EventFeed:
    """The entries of the stream at `url`, as they come."""

    def __init__(self, url: str, poll_s: float = POLL_S, key: str = DEFAULT_KEY) -> None:
        self.url, self.poll_s, self.key = url, poll_s, key
        self._stream = None

    def _open(self):  # noqa: ANN202 - the backend
        if self._stream is None:
            self._stream = open_stream(self.url, key=self.key)
        return self._stream

    async def latest(self) -> str:
        """The cursor of the newest entry: following from it gives what comes next."""
        return await asyncio.to_thread(lambda: self._open().latest())

    async def read_after(self, cursor: str) -> List[Entry]:
        """The entries after `cursor`, waiting a little (Redis: up to BLOCK_MS) when there are none yet."""
        stream = self._open()
        if isinstance(stream, RedisStream):
            return await asyncio.to_thread(stream.read_after, cursor, 500, BLOCK_MS)
        entries = await asyncio.to_thread(stream.read_after, cursor)
        if not entries:
            await asyncio.sleep(self.poll_s)
        return entries

    async def follow(self, cursor: str = NOW) -> AsyncIterator[List[Entry] | None]:
        """Batches of new entries, forever. `None` after the stream failed and came back: entries may have been
        missed, so a reader should read its state afresh (from the tracker store and the ticket database)."""
        failed = False
        while True:
            try:
                if cursor == NOW:
                    cursor = await self.latest()
                entries = await self.read_after(cursor)
            except Exception as error:  # noqa: BLE001 - the live view waits for the stream to come back
                if not failed:
                    logger.warning("the event stream cannot be read (%s); live updates wait for it",
                                   type(error).__name__)
                failed = True
                await asyncio.sleep(RETRY_S)
                continue
            if failed:
                failed = False
                logger.info("the event stream is back")
                yield None
            if entries:
                cursor = entries[-1][0]
                yield entries

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
