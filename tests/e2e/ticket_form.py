"""Filling in the ticket form the way a user would, on any channel (end-to-end tests)."""
from __future__ import annotations

import re
from typing import Callable

TICKET = re.compile(r"OK-\d{8}-\d{4}")
DESCRIPTION = "付款时一直提示交易失败"


def answer_until_ticket(chat, say: Callable[[str], str], asked: str) -> str:
    """Answers what the form still asks (which fields depends on the category) until a ticket number shows.

    `say(text)` sends the user's answer and returns the bot's reply text; `asked`
    is the bot's latest text. Returns the ticket number.
    """
    for _ in range(4):
        found = TICKET.search(asked)
        if found:
            return found.group()
        asked = say(DESCRIPTION if chat.response("utter_ask_ticket_description") in asked else "跳过")
    found = TICKET.search(asked)
    assert found, f"no ticket number after the form: {asked!r}"
    return found.group()
