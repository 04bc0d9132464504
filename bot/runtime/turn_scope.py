"""Which conversation's lock the current task holds, for the stores that can trust it.

`bot.runtime.message_guard` takes a conversation's lock for a turn and, while
it holds it, marks the task (a context variable, so only that turn's
coroutines see it). Under the lock no other process writes the
conversation: the cached tracker store, once it has read the rows stored by
others during this hold, need not ask the database again until the hold
ends (the re-send check and Rasa's turn each read the conversation).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Tuple

_held: ContextVar[Tuple[str, object] | None] = ContextVar("okpay_held_lock", default=None)


@contextmanager
def holding(conversation_id: str) -> Iterator[object]:
    """Marks this task as holding `conversation_id`'s lock until the block ends; yields the hold's token."""
    token = object()
    reset = _held.set((conversation_id, token))
    try:
        yield token
    finally:
        _held.reset(reset)


def hold_of(conversation_id: str) -> object | None:
    """The token of this task's hold on `conversation_id`'s lock, or None when it holds none."""
    held = _held.get()
    return held[1] if held is not None and held[0] == conversation_id else None
