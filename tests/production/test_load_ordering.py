"""Many conversations at once, several senders per conversation: every message answered, once, in order."""
from __future__ import annotations

import asyncio
import uuid

from tests.production.load import run_load, tracker_problems


def test_bursts_to_the_same_conversations_are_all_answered_once_and_in_order(replicated, tracker_db):
    result = asyncio.run(run_load(replicated.rasa_url, f"load-{uuid.uuid4().hex[:6]}",
                                  conversations=6, senders=3, turns=4))
    assert result.failures == []
    assert result.messages == 6 * 3 * 4
    assert tracker_problems(tracker_db, result) == []


def test_bursts_sent_without_waiting_for_answers_are_stored_once_in_order(replicated, tracker_db):
    """Each sender fires its messages 200 ms apart without waiting: they queue on the conversation's lock
    (on whichever replica they land) and must come out one turn each, in the order sent, none lost."""
    result = asyncio.run(run_load(replicated.rasa_url, f"burst-{uuid.uuid4().hex[:6]}",
                                  conversations=3, senders=3, turns=4, stagger_s=0.2))
    assert result.failures == []
    assert result.messages == 3 * 3 * 4
    assert tracker_problems(tracker_db, result) == []


def test_the_checks_see_a_lost_message(replicated, tracker_db):
    """The ordering check itself: a message that never reached the store is reported."""
    result = asyncio.run(run_load(replicated.rasa_url, f"check-{uuid.uuid4().hex[:6]}",
                                  conversations=1, senders=1, turns=2))
    conversation = next(iter(result.sent))
    result.sent[conversation][0].append(f"{conversation}/0/never-sent")
    assert tracker_problems(tracker_db, result) == [f"{conversation}: {conversation}/0/never-sent lost"]
