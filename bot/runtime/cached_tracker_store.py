"""Rasa's SQL tracker store, reading only what was stored since it last looked.

Rasa's `SQLTrackerStore` reads back every event of the conversation's session
for every message: the SQL rows, then each row's JSON. At turn 200 of a
conversation that was half of the turn (py-spy, README "Benchmarks"), and
it grows with every turn. This store keeps, per process, the session's events
of the conversations it served last (as parsed JSON) and the id of the newest
row it has seen, and asks the database only for rows after it. Saving counts
on the same knowledge instead of Rasa's `COUNT` over the session.

Safe with several replicas: the rows of one conversation are written under
its lock (Rasa takes it for a message and for the HTTP API's appends), one
transaction at a time, so a row with a smaller id is never committed after a
larger one was read. A new session (`session_started`) read or written drops
the events before it, as Rasa's query does. Named in `endpoints.yml` as the
tracker store's `type`, so `rasa run` gets it too.

Rows changed behind Rasa's back (a conversation deleted in the database on a
user's request) are seen by a process only after its restart or once the
conversation has left its cache (`cache_size` conversations, the most
recently served kept).
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


@dataclass
class _Session:
    """What is known of one conversation: its current session's events, and the newest row read or written."""

    last_id: int
    events: List[Dict[str, Any]] = field(default_factory=list)


def current_session(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events from the latest `session_started` on (with those just before it that share its timestamp, as
    Rasa's `timestamp >= session start` query has them)."""
    starts = [index for index, event in enumerate(events) if event.get("event") == SessionStarted.type_name]
    if not starts:
        return events
    start = starts[-1]
    stamp = events[start].get("timestamp") or 0
    while start > 0 and (events[start - 1].get("timestamp") or 0) >= stamp:
        start -= 1
    return events[start:]


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that reads only new rows for the conversations it served last."""

    def __init__(self, *args: Any, cache_size: int = 256, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Conversations kept, the most recently used last (each holds one session's events).
        self.cache_size = int(cache_size)
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def _remember(self, sender_id: str, known: _Session) -> None:
        self._sessions[sender_id] = known
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self.cache_size:
            self._sessions.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's latest session, from the rows stored since the last look."""
        with self.session_scope() as session:
            known = self._sessions.get(sender_id)
            if known is None:
                rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
                known = _Session(last_id=0)
            else:
                rows = (session.query(self.SQLEvent)
                        .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > known.last_id)
                        .order_by(self.SQLEvent.id).all())
            if rows or sender_id not in self._sessions:
                events = current_session(known.events + [json.loads(row.data) for row in rows])
                known = _Session(rows[-1].id if rows else known.last_id, events)
                self._remember(sender_id, known)
            else:
                self._sessions.move_to_end(sender_id)
        if not self.domain or not known.events:
            return None
        return DialogueStateTracker.from_dict(sender_id, list(known.events), self.domain.slots)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events not stored yet: past the session's events this store last saw."""
        known = self._sessions.get(tracker.sender_id)
        if known is None:
            return super()._additional_events(session, tracker)
        return iter(list(tracker.events)[len(known.events):])

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the new events as Rasa does, then remembers them with their row ids."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                row = self.SQLEvent(
                    sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                    action_name=data.get("name"), data=json.dumps(data),
                )
                session.add(row)
                stored.append(row)
            session.commit()
            known = self._sessions.get(tracker.sender_id)
            if known is not None and stored:
                events = current_session(known.events + [json.loads(row.data) for row in stored])
                self._remember(tracker.sender_id, _Session(max(row.id for row in stored), events))
