"""What the lines logged now are about: the conversation, the request, and the texts they must not show.

A context variable, so only the coroutines of one turn or one request see it:
where a turn starts (`bot.channels.common.guarded_turns`), where the action
server reads a call (`bot.cli.action_server`) and where the console acts on a
ticket's conversation (`bot.handoff.service`), the code opens a scope; the
formatter adds the conversation's hash and the request id to every line
logged inside it, and the guard replaces the scope's private texts (the
user's message, the raw conversation id) wherever a library quotes them.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Iterable, Iterator, Tuple


@dataclass(frozen=True)
class LogScope:
    conversation: str | None = None
    request_id: str | None = None
    #: Strings no line may show (the turn's message text, the raw conversation id and its user part).
    private: Tuple[str, ...] = ()


NO_SCOPE = LogScope()
_scope: ContextVar[LogScope | None] = ContextVar("okpay_log_scope", default=None)


def current_scope() -> LogScope:
    return _scope.get() or NO_SCOPE


def _user_part(conversation: str) -> str | None:
    """`abc` of `rest:abc`, `u:abc` and `abc` of `widget:u:abc`: libraries may quote the channel's own user id."""
    parts = conversation.split(":")
    return ":".join(parts[1:]) if len(parts) > 1 else None


def enter_scope(conversation: str | None = None, request_id: str | None = None,
                private: Iterable[str] = ()) -> Token:
    """Opens a scope (inside the current one: what it does not name is kept); `leave_scope(token)` closes it."""
    outer = current_scope()
    hidden = [text for text in private if isinstance(text, str) and text]
    if conversation:
        hidden.append(conversation)
        user = _user_part(conversation)
        if user:
            hidden.append(user)
            if ":" in user:
                hidden.append(user.split(":")[-1])
    return _scope.set(LogScope(conversation or outer.conversation, request_id or outer.request_id,
                               tuple(dict.fromkeys((*outer.private, *hidden)))))


def leave_scope(token: Token) -> None:
    _scope.reset(token)


@contextmanager
def log_scope(conversation: str | None = None, request_id: str | None = None,
              private: Iterable[str] = ()) -> Iterator[LogScope]:
    """The lines logged in the block are about `conversation` (and `request_id`), and never show `private`."""
    token = enter_scope(conversation, request_id, private)
    try:
        yield current_scope()
    finally:
        leave_scope(token)
