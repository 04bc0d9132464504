"""A message a channel could not deliver to the user for good, told to whoever asked Rasa to send it.

When WeChat refuses a message (the user has not written for 48 hours, or
unfollowed) or Telegram does (the user blocked the bot), the channel raises
`Undeliverable`. Rasa's HTTP API answers the console's request with the
error's text, in which `undelivered_in` finds the channel and the reason; the
handoff service (`bot.handoff.service`) notes them on the user's ticket, so the
agent contacts the user another way. Channels never write the ticket database.
"""
from __future__ import annotations

import re
from typing import Tuple

_TAG = re.compile(r"\[undelivered:([a-z_]+):([a-z_]+)\]")


class Undeliverable(RuntimeError):
    """The user's channel refused a message for good (`reason`: window_closed, blocked …)."""

    def __init__(self, channel: str, reason: str, detail: str = "") -> None:
        super().__init__(f"[undelivered:{channel}:{reason}] {detail}".strip())
        self.channel, self.reason = channel, reason


def undelivered_in(text: str) -> Tuple[str, str] | None:
    """(channel, reason) of an `Undeliverable` quoted in `text` (an error answer of Rasa's API), or None."""
    found = _TAG.search(text or "")
    return (found.group(1), found.group(2)) if found else None
