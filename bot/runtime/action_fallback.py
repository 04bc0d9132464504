"""A polite answer when the action server cannot be reached.

Rasa logs a failed custom action and carries on without a word to the user:
in the middle of a guide the user would just wait. Here a custom action that
fails because the action server is down (refused, reset, 5xx from the load
balancer) answers `utter_try_again_shortly` instead. The action's own events
are lost, as in Rasa, so the conversation is where it was: once the server
is back, the user's next message carries on from the same step. A rejection
(a form's validation saying no) is not a failure and passes through.
"""
from __future__ import annotations

import logging
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

RESPONSE = "utter_try_again_shortly"
_original_run = RemoteAction.run


async def run_or_apologise(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
                           ) -> List[Event]:
    """`RemoteAction.run`, with a BotUttered apology when the action server is unreachable."""
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except RasaException as error:
        logger.error("custom action %s failed (%s): the user was asked to try again shortly", self.name(), error)
        response = await nlg.generate(RESPONSE, tracker, output_channel.name())
        if not response:
            return []
        return [create_bot_utterance(response)]


def install() -> None:
    RemoteAction.run = run_or_apologise  # type: ignore[method-assign]
