"""What a Rasa process does when a store it needs fails while a message comes in.

- The lock store (Redis) cannot be reached: the message is not processed at
  all (processing without the lock could let two replicas handle the same
  conversation at once); the user is told to send it again
  (`utter_service_busy`). Nothing is stored, so nothing stored is lost.
- The tracker store (PostgreSQL) drops its connections, as when it restarts:
  the message is processed again a few times with a growing pause, then the
  user is told as above. Running a turn again is safe: the tracker is read
  afresh and only written at the end of a successful turn; a turn that was
  saved although the store then failed (the commit went through, its
  acknowledgement did not) is not run again, its stored answers are re-sent;
  and opening a ticket is idempotent per message (`tickets.request_key`).
- A replica dies while handling a message and the load balancer sends the
  message to another: if the dead one had stored the turn, its answers are
  sent again instead of running the turn twice. The balancer's request id
  (`X-Request-Id`, kept in the message's metadata by the REST channels)
  tells it is the same message; only such messages cost this extra read.

Our channels hand every message here instead of to `Agent.handle_message`
(Rasa's handler, which this follows: pinned in `tests/runtime/test_rasa_pins.py`),
so Rasa's own `rasa run` with our credentials.yml behaves the same; Rasa's own
channels (`rasa shell`'s) get Rasa's handler.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Sequence

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_patches import recent_events
from bot.runtime.tracker_store import make_loud
from bot.runtime.turn_scope import holding

logger = logging.getLogger(__name__)

BUSY_RESPONSE = "utter_service_busy"
#: The metadata key of the load balancer's request id (bot/channels/rest.py), or of a WeChat or
#: Telegram delivery (bot/channels/deliveries.py).
REQUEST_ID = "request_id"
#: False on a WeChat or Telegram delivery seen for the first time: nothing can be stored for it yet, so
#: the check for a stored turn is skipped. Absent (REST behind the balancer) or True: checked.
REDELIVERY = "redelivery"
#: Pauses before running a turn again after the tracker store failed.
RETRY_PAUSES_S: Sequence[float] = (0.5, 1.0, 2.0, 4.0)


def _lock_store_errors() -> tuple:
    import redis

    return (LockError, redis.RedisError, OSError)


def _store_down_errors() -> tuple:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return (OperationalError, DBAPIError)


def _connection_lost(error: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


async def tell_busy(agent: Any, message: UserMessage) -> None:
    """Sends `utter_service_busy` through the message's channel, storing nothing."""
    if message.output_channel is None:
        return
    tracker = DialogueStateTracker(message.sender_id, agent.domain.slots)
    response = await agent.nlg.generate(BUSY_RESPONSE, tracker, message.output_channel.name())
    if response:
        await message.output_channel.send_response(message.sender_id, response)


async def answered_already(agent: Any, message: UserMessage) -> bool | None:
    """Whether the tracker store already holds `message` (its turn was saved, but the reply was lost).

    True: the bot's answers stored after it are sent again, and the turn must
    not run twice. None: the store still does not answer, so nobody can tell yet.
    """
    from rasa.shared.core.events import BotUttered, UserUttered

    try:
        tracker = await agent.tracker_store.retrieve(message.sender_id)
    except _store_down_errors():
        return None
    # The balancer re-sends within seconds: the message, if stored, is among the latest.
    events = recent_events(tracker.events, RESENT_SEARCH_USER_MESSAGES) if tracker is not None else []
    start = next((index for index, event in enumerate(events)
                  if isinstance(event, UserUttered) and _same_message(event, message)), None)
    if start is None:
        return False
    for event in events[start + 1:]:
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and message.output_channel is not None:
            await message.output_channel.send_response(message.sender_id, event.message())
    return True


#: How many of the latest user messages are searched for a re-sent one: the balancer re-sends within seconds,
#: so its turn is among the latest, and the search stays short in a long conversation (`recent_events`).
RESENT_SEARCH_USER_MESSAGES = 50


def _same_message(event: Any, message: UserMessage) -> bool:
    """The stored user event is `message`: the same Rasa message id, or the same balancer request id."""
    if event.message_id == message.message_id:
        return True
    request_id = (message.metadata or {}).get(REQUEST_ID)
    return bool(request_id) and (event.metadata or {}).get(REQUEST_ID) == request_id


def _maybe_handled(message: UserMessage) -> bool:
    """A message that another process may have handled already: re-sent by the balancer or re-delivered."""
    metadata = message.metadata or {}
    return bool(metadata.get(REQUEST_ID)) and metadata.get(REDELIVERY, True) is not False


async def process_with_retries(agent: Any, message: UserMessage, pauses: Sequence[float] = RETRY_PAUSES_S
                               ) -> List[Dict[str, Any]] | None:
    """`processor.handle_message`, run again once the tracker store is back and shows the turn was not saved."""
    waits = list(pauses)
    while True:
        try:
            return await agent.processor.handle_message(message)
        except _store_down_errors() as error:
            if not _connection_lost(error):
                raise
            logger.warning("the tracker store is unreachable (%s); waiting for it", type(error).__name__)
        saved = None
        while saved is None and waits:
            await asyncio.sleep(waits.pop(0))
            saved = await answered_already(agent, message)
        if saved:
            logger.warning("the turn had been saved before the store failed: its answers were sent again")
            return None
        if saved is None:
            logger.error("the tracker store stayed unreachable; the user was asked to send the message again")
            await tell_busy(agent, message)
            return None


async def handle_message(agent: Any, message: UserMessage, pauses: Sequence[float] = RETRY_PAUSES_S
                         ) -> List[Dict[str, Any]] | None:
    """`Agent.handle_message`, failing closed when the conversation cannot be locked.

    Our channels hand every message here instead of to Rasa's handler (`bot.channels.common.guarded_turns`).
    """
    if not agent.is_ready():
        logger.info("Ignoring message as there is no agent to handle it.")
        return None
    make_loud(agent)
    lock = agent.lock_store.lock(message.sender_id)
    try:
        await lock.__aenter__()
    except _lock_store_errors() as error:
        logger.error("the conversation lock is unavailable (%s): the message was not processed, "
                     "the user was asked to send it again", type(error).__name__)
        await tell_busy(agent, message)
        return None
    try:
        with holding(message.sender_id):
            if _maybe_handled(message) and await answered_already(agent, message):
                logger.warning("a re-sent message had been handled by a replica that died: its answers were sent "
                               "again")
                result = None
            else:
                result = await process_with_retries(agent, message, pauses)
    except BaseException as error:
        await lock.__aexit__(type(error), error, error.__traceback__)
        raise
    await lock.__aexit__(None, None, None)
    return result
