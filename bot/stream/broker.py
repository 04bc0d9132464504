"""Rasa's event broker, named in `endpoints.yml`: every event Rasa stores goes onto the event stream.

    event_broker:
      type: bot.stream.broker.StreamBroker
      url: ${OKPAY_EVENT_STREAM_URL}     # sqlite:///var/event_stream.db or redis://127.0.0.1:6379/0
      # keep: 100000                     # entries kept (older ones dropped)
      # key: okpay:events                # Redis: the stream's key

Rasa calls `publish` for each new event of a conversation when it saves the
tracker (`TrackerStore.stream_events`), in the turn's task: a failing stream
is logged and the turn goes on, since the tracker store, not the stream, is
the conversation's record (a reader that missed events reads them there).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.stream.backends import DEFAULT_KEEP, DEFAULT_KEY, open_stream

logger = logging.getLogger(__name__)


class StreamBroker(EventBroker):
    """Appends each event Rasa publishes to the stream at `url`."""

    def __init__(self, url: str, keep: int = DEFAULT_KEEP, key: str = DEFAULT_KEY) -> None:
        self.stream = open_stream(url, keep, key)

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: asyncio.AbstractEventLoop | None = None) -> StreamBroker:
        keep = int(broker_config.kwargs.get("keep") or DEFAULT_KEEP)
        return cls(str(broker_config.url), keep, str(broker_config.kwargs.get("key") or DEFAULT_KEY))

    def publish(self, event: Dict[str, Any]) -> None:
        self.publish_many([event])

    def publish_many(self, events: List[Dict[str, Any]]) -> None:
        """The events of one save, in one write (our tracker store calls this; Rasa's calls `publish`)."""
        if not events:
            return
        try:
            self.stream.append(events)
        except Exception as error:  # noqa: BLE001 - the turn is stored in the tracker store all the same
            logger.error("the event stream refused %d events of %s (%s): live views will read the tracker store",
                         len(events), events[0].get("sender_id"), type(error).__name__)

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        self.stream.close()
