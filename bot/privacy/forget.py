"""A user's deletion request (PIPL 删除权): their conversations leave every store; anonymous counts stay.

    python -m bot.privacy.forget --sender o6_bmjrPTlm6_2sgVt7hMZOPfL2M --channel wechat   # the openid
    python -m bot.privacy.forget --sender wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M    # the console's conversation id
    python -m bot.privacy.forget --sender 123456789 --channel telegram          # the chat id
    python -m bot.privacy.forget --sender u-1001 --channel widget               # the host app's user id (`sub`)

The sender is what an operator has: the conversation id the console shows
(`wechat:<openid>`, `telegram:<chat id>`, `widget:u:<user>`, `widget:a:<visitor>`,
`rest:<sender>`, `callback:<sender>`), or the channel's own id with `--channel`.
A bare id without `--channel` is looked up on every channel; found on more than
one, nothing is done and the channels are named (exit 2).

What goes, store by store (`bot.privacy.stores`): the conversation's rows of
Rasa's tracker store and of the event stream, the review queue's items, its
Redis counters and delivery marks; its tickets keep their anonymous facts
(category, status, times, agent, rating score) and lose the rest
(`bot.tickets.erasure`). It prints counts per store, never content or ids.

Running servers: in the replicated deployment the conversation's lock (Redis)
is held while the stores are changed, so no turn of that user runs meanwhile;
every Rasa replica's kept tracker notices the deleted rows at its next read
(`bot.runtime.cached_tracker_store`), so none serves it from memory or writes
it back. Embedded (one Rasa process, its lock in memory): a message being
answered at that very moment is stored after the deletion as a new
conversation (without the forgotten events: the tracker carries its stored
count). Run it again to remove such a message too.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, AsyncIterator, Dict, List, Sequence

from bot.channels.common import valid_user_id
from bot.database.sqlite import sqlite_missing
from bot.privacy import stores
from bot.settings import Settings, get_settings
from bot.tickets.erasure import Erased, conversation_tickets, erase_tickets, pseudonym

#: The conversation-id prefixes of each channel (bot/channels): what `--channel` adds to the channel's own id.
CHANNEL_PREFIXES: Dict[str, Sequence[str]] = {
    "wechat": ("wechat:",), "telegram": ("telegram:",), "widget": ("widget:u:", "widget:a:"),
    "rest": ("rest:",), "callback": ("callback:",),
}


class UnknownSender(ValueError):
    """Not an id any channel hands out, or it names another channel than `--channel`."""


class AmbiguousSender(ValueError):
    """A bare id found on several channels: the operator must name one."""


def candidates(sender: str, channel: str | None = None) -> List[str]:
    """The conversation ids `sender` may mean (one when it is a conversation id or the channel is given)."""
    sender = sender.strip()
    for name, prefixes in CHANNEL_PREFIXES.items():
        prefix = next((p for p in prefixes if sender.startswith(p)), None)
        if prefix is not None:
            if channel not in (None, name):
                raise UnknownSender(f"{sender.split(':')[0]} conversation given with --channel {channel}")
            if not valid_user_id(sender[len(prefix):]):
                raise UnknownSender("not a valid id (1-128 of A-Z a-z 0-9 _ . @ + = : -)")
            return [sender]
    if not valid_user_id(sender):
        raise UnknownSender("not a valid id (1-128 of A-Z a-z 0-9 _ . @ + = : -)")
    if channel is not None:
        return [CHANNEL_PREFIXES[channel][0] + sender]  # anonymous widget visitors are named in full
    return [prefixes[0] + sender for prefixes in CHANNEL_PREFIXES.values()] + [sender]  # bare: older rows


def resolve(settings: Settings, sender: str, channel: str | None = None) -> List[str]:
    """The conversation ids to forget: the one named, or the one a bare id is stored under."""
    possible = candidates(sender, channel)
    if len(possible) == 1:
        return possible
    found = stores.conversations_stored(settings, possible)
    if len(found) > 1:
        channels = ", ".join(c.split(":")[0] if ":" in c else "(no channel)" for c in found)
        raise AmbiguousSender(f"found on several channels: {channels}; name one with --channel")
    return found


@dataclass
class Forgotten:
    """What was removed, per store (counts only)."""

    conversations: int = 0
    tracker_events: int = 0
    stream_entries: int = 0
    review_items: int = 0
    redis_keys: int = 0
    tickets: Erased = field(default_factory=Erased)

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


@contextlib.asynccontextmanager
async def conversation_lock(settings: Settings, conversation: str) -> AsyncIterator[None]:
    """The conversation's lock, held while it is forgotten, where replicas share it (Redis); else nothing."""
    if not (settings.replicated and settings.redis_url):
        yield
        return
    from bot.deploy.endpoints import store_environment
    from bot.runtime.lock_store import AtomicRedisLockStore

    env = store_environment(settings)
    lock_store = AtomicRedisLockStore(host=env["OKPAY_LOCK_REDIS_HOST"], port=int(env["OKPAY_LOCK_REDIS_PORT"]),
                                      db=int(env["OKPAY_LOCK_REDIS_DB"]),
                                      password=env["OKPAY_LOCK_REDIS_PASSWORD"] or None,
                                      key_prefix=settings.lock_key_prefix)
    try:
        async with lock_store.lock(conversation, lock_lifetime=settings.lock_lifetime_s):
            yield
    finally:
        lock_store.red.close()


def _forget_tickets(settings: Settings, conversation: str, forgotten: Forgotten) -> None:
    from bot.database.database import Database

    if sqlite_missing(settings.ticket_database_url):
        return
    database = Database(settings.ticket_database_url)
    try:
        with database.session() as session:
            forgotten.tickets.add(erase_tickets(session, conversation_tickets(session, conversation), pseudonym()))
            forgotten.review_items += stores.remove_review_items(session, [conversation])
    finally:
        database.dispose()


async def forget(settings: Settings, conversations: List[str]) -> Forgotten:
    """Removes the conversations from every store, each under its lock (see the module's docstring)."""
    forgotten = Forgotten(conversations=len(conversations))
    for conversation in conversations:
        async with conversation_lock(settings, conversation):
            forgotten.tracker_events += await asyncio.to_thread(stores.remove_events, settings, [conversation])
            forgotten.stream_entries += await asyncio.to_thread(stores.remove_stream_entries, settings, [conversation])
            await asyncio.to_thread(_forget_tickets, settings, conversation, forgotten)
            forgotten.redis_keys += await asyncio.to_thread(stores.remove_redis_keys, settings, [conversation])
    return forgotten


def report_lines(forgotten: Forgotten) -> List[str]:
    t = forgotten.tickets
    return [
        f"conversations forgotten: {forgotten.conversations}",
        f"tracker store: {forgotten.tracker_events} events removed",
        f"event stream: {forgotten.stream_entries} entries removed",
        f"tickets: {t.tickets} anonymised ({t.cancelled} cancelled), {t.rating_comments} rating comments, "
        f"{t.notes} agent notes and {t.handoff_steps} conversation steps removed; ratings' scores kept",
        f"review queue: {forgotten.review_items} messages removed",
        f"redis: {forgotten.redis_keys} keys removed",
    ]


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Forget a user: remove their conversations from every store.")
    parser.add_argument("--sender", required=True,
                        help="the conversation id (wechat:<openid>, widget:u:<user> …) or the channel's own id")
    parser.add_argument("--channel", choices=sorted(CHANNEL_PREFIXES), help="the channel of a channel's own id")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        conversations = resolve(settings, args.sender, args.channel)
    except (UnknownSender, AmbiguousSender) as error:
        print(f"forget: {error}; nothing removed", file=sys.stderr)
        return 2
    forgotten = asyncio.run(forget(settings, conversations))
    print(json.dumps(forgotten.as_dict()) if args.json else "\n".join(report_lines(forgotten)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
