"""Rasa's SQL tracker store, keeping the trackers it served instead of rebuilding them every turn.

Rasa's `SQLTrackerStore` reads back every event of the conversation's session
for every message (the SQL rows, then each row's JSON), replays them into a
new tracker, and counts the session's rows again to learn which events a save
adds. At turn 200 of a conversation that was half of the turn (py-spy,
`benchmarks/profile_turns.py`), and it grew with every turn.

This store keeps, per process, the trackers of the conversations it served
last (`cache_size`, the most recently used kept; each costs about 0.2 MB
for a 10-turn conversation, most of it the copies of the slots that the
tracker's replays hold), with the id of the newest
row it has seen and the number of the session's events stored. A turn gets
the kept tracker, brought up to date with the rows stored since (by another
replica); a save stores the events past that number. The trackers are
`IncrementalTracker`s, which also keep the states the policies derive from
them (`bot.runtime.incremental_tracker`).

The kept tracker is the one the turn changes. A tracker that holds events not
stored (a turn in progress, or one that failed before saving) is not handed
out again: whoever asks meanwhile gets a tracker read from the database, as
with Rasa's store. A save that starts a new session, or a save of a tracker
this store did not hand out, forgets the conversation, so the next turn reads
its current session from the database.

Safe with several replicas: the rows of one conversation are written under
its lock (Rasa takes it for a message and for the HTTP API's appends), one
transaction at a time, so a row with a smaller id is never committed after a
larger one was read. Named in `endpoints.yml` as the tracker store's `type`,
so `rasa run` gets it too.

Rows deleted behind Rasa's back (`python -m bot.privacy.forget` on a user's
request, `python -m bot.privacy.retention`) are noticed at the next refresh:
it reads from the newest row it saw, and when that row is gone the kept
tracker is dropped and the conversation read again from what is stored, so no
replica serves a forgotten conversation from memory or writes it back.
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from typing import Any, Dict, Iterator, List, Tuple

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401 - sa.orm.session
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.database.sqlite import kept_sqlite_engine
from bot.runtime.event_reading import event_from_dict, events_from_dicts
from bot.runtime.incremental_tracker import IncrementalTracker
from bot.runtime.turn_scope import hold_of

logger = logging.getLogger(__name__)
#: The attribute a tracker this store read or saved carries: how many of its events are stored.
STORED_MARK = "_okpay_stored_events"


@dataclass
class _Kept:
    """A conversation this process served: its tracker, the newest row seen, and the session's events stored."""

    tracker: IncrementalTracker
    last_id: int
    stored: int
    #: Rows this process stored after `last_id`: their events are in the tracker already.
    own_rows: int = 0
    #: The lock hold (`bot.runtime.turn_scope`) during which the rows of others were last read.
    read_under: object | None = None

    def current(self) -> bool:
        """Whether the tracker holds exactly the stored events (no turn is changing it)."""
        return len(self.tracker.events) == self.stored


def _as_rasa_dict(data: Dict[str, Any]) -> Dict[str, Any]:
    """A stored event as Rasa's API shows it (read back into an event); as stored if Rasa cannot read it."""
    event = event_from_dict(data)
    return event.as_dict() if event is not None else data


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that keeps the trackers it served and reads only the rows stored since."""

    def __init__(self, *args: Any, cache_size: int = 128, **kwargs: Any) -> None:
        rasa_patches.apply()  # the store is loaded by every command that serves: `rasa run`, `rasa shell`, ours
        super().__init__(*args, **kwargs)
        #: Conversations kept, the most recently used last.
        self.cache_size = int(cache_size)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._reconnect_engine()

    def _reconnect_engine(self) -> None:
        """Rasa's engine (created, with its tables, by `SQLTrackerStore`), made again with our connection settings.

        Every dialect: `pool_pre_ping`, so that after PostgreSQL restarts the pool notices its dead connections
        and reconnects, instead of failing the next turns one by one.

        SQLite: pooled connections in write-ahead-log mode. SQLAlchemy 1.4 opens a new SQLite connection for
        every session by default, and SQLite's default journal rewrites the file at each commit: together half
        of a turn's time in the store. A kept connection in WAL mode commits in a third of the time, as durably
        (`synchronous=FULL`). Connections are used by one thread at a time (the pool's checkout), so they may
        move between threads.
        """
        url = self.engine.url
        self.engine.dispose()
        if url.get_backend_name() == "sqlite":
            self.engine = kept_sqlite_engine(url, "FULL", pool_pre_ping=True)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        """A new conversation's tracker (Rasa's, remembering what the policies derive from it)."""
        return IncrementalTracker(sender_id, self.domain.slots, max_event_history=self.max_event_history)

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.cache_size:
            self._kept.popitem(last=False)

    def _rows_after(self, session: Any, sender_id: str, last_id: int) -> List[Any] | None:
        """The rows stored after `last_id`; None when row `last_id` itself is gone (deleted: forget, retention).

        One query either way: it starts at `last_id`, an indexed primary-key range.
        """
        rows = (session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id >= last_id)
                .order_by(self.SQLEvent.id).all())
        if not rows or rows[0].id != last_id:
            return None
        return rows[1:]

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's tracker (its latest session): the kept one with the rows stored since, or read."""
        with self.session_scope() as session:
            kept = self._kept.get(sender_id)
            hold = hold_of(sender_id)
            if kept is not None and kept.current() and hold is not None and kept.read_under is hold:
                self._kept.move_to_end(sender_id)  # read during this hold of the lock: nobody else wrote since
                return kept.tracker
            if kept is not None and kept.current():
                rows = self._rows_after(session, sender_id, kept.last_id)
                # Our own rows come first: the conversation's lock was ours until they were committed.
                events = events_from_dicts(json.loads(row.data) for row in rows[kept.own_rows:]) if rows else []
                if rows is None or len(rows) < kept.own_rows or any(isinstance(e, SessionStarted) for e in events):
                    kept = None  # rows deleted, or another replica started a new session: read it whole
                    self._kept.pop(sender_id, None)
                else:
                    for event in events:
                        kept.tracker.update(event)
                    if rows:
                        kept.last_id, kept.stored, kept.own_rows = rows[-1].id, len(kept.tracker.events), 0
                    kept.read_under = hold
                    self._kept.move_to_end(sender_id)
                    return kept.tracker
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not self.domain or not rows:
            self._kept.pop(sender_id, None)
            return None
        tracker = IncrementalTracker.from_events(sender_id, events_from_dicts(json.loads(row.data) for row in rows),
                                                 self.domain.slots, self.max_event_history)
        setattr(tracker, STORED_MARK, len(tracker.events))
        if kept is None or kept.current():
            # Not while a turn changes the kept tracker: its save keeps it.
            self._keep(sender_id, _Kept(tracker, max(row.id for row in rows), len(tracker.events), read_under=hold))
        return tracker

    def events_after(self, sender_id: str, after: int) -> Tuple[List[Dict[str, Any]], int]:
        """The conversation's events (every session) after position `after`, and how many it has.

        Positions count the stored events from 0 in the order Rasa's full tracker has them (row id), so a
        reader that has events up to `after` asks only for the rows after it: the console's transcript.
        """
        with self.session_scope() as session:
            total = session.query(sa.func.count(self.SQLEvent.id)).filter(
                self.SQLEvent.sender_id == sender_id).scalar() or 0
            rows = (session.query(self.SQLEvent.data).filter(self.SQLEvent.sender_id == sender_id)
                    .order_by(self.SQLEvent.id).offset(max(after + 1, 0)).all()) if total > after + 1 else []
        return [_as_rasa_dict(json.loads(data)) for (data,) in rows], total

    def _unstored(self, tracker: DialogueStateTracker) -> List[Event] | None:
        """The events of a tracker this store handed out that are not stored yet (None: not known here).

        Known from the kept entry, or, for a tracker read while the kept one was busy or that left the cache
        during its turn, from the count the tracker carries (`STORED_MARK`). Rasa's own answer (the session's rows
        counted again) would write a whole session back when its rows were deleted during the turn (forget).
        """
        kept = self._kept.get(tracker.sender_id)
        stored = kept.stored if kept is not None and kept.tracker is tracker else getattr(tracker, STORED_MARK, None)
        if stored is None or len(tracker.events) < stored:
            return None
        return list(islice(tracker.events, stored, None))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events not stored yet: past those this store knows are stored (else Rasa's count)."""
        unstored = self._unstored(tracker)
        if unstored is None:
            return super()._additional_events(session, tracker)
        return iter(unstored)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events not stored yet (Rasa's store reads the conversation again to find them)."""
        unstored = self._unstored(tracker) if self.event_broker is not None else None
        if unstored is None:
            await super().stream_events(tracker)
        else:
            await self._stream_new_events(self.event_broker, unstored, tracker.sender_id)

    async def _stream_new_events(self, event_broker: Any, new_events: List[Event], sender_id: str) -> None:
        """Rasa's: each event with its `sender_id`, published; to our broker in one write per save."""
        if hasattr(event_broker, "publish_many"):  # bot.stream.broker.StreamBroker
            event_broker.publish_many([{"sender_id": sender_id, **event.as_dict()} for event in new_events])
        else:
            await super()._stream_new_events(event_broker, new_events, sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the new events with Rasa's `save`, then keeps the tracker (the next read skips the rows stored
        here, which come first after the newest row seen)."""
        unstored = self._unstored(tracker)
        await super().save(tracker)
        setattr(tracker, STORED_MARK, len(tracker.events))
        kept = self._kept.get(tracker.sender_id)
        if unstored is None or kept is None or any(isinstance(event, SessionStarted) for event in unstored):
            self._kept.pop(tracker.sender_id, None)
            return
        kept.own_rows += len(unstored)
        kept.stored = len(tracker.events)
        self._kept.move_to_end(tracker.sender_id)
