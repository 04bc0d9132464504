"""Queueing counts what it did only once its transaction is committed."""
from __future__ import annotations

import pytest

from bot.handoff.queueing import open_and_hand_off
from bot.settings import Settings
from bot.tickets.store import TicketDraft
from tests.metrics_reading import Snapshot


def test_a_ticket_whose_transaction_is_rolled_back_is_not_counted(support_db):
    settings = Settings(database_url=support_db.url)
    draft = TicketDraft(conversation_id="rest:u-rollback", channel="rest", category="refund", request_key="k-1")
    snapshot = Snapshot()
    with pytest.raises(RuntimeError), support_db.session() as session:
        open_and_hand_off(session, draft, settings)
        raise RuntimeError("the commit never happens")
    assert snapshot.delta("okpay_tickets_opened_total", category="refund") == 0
    with support_db.session() as session:
        ticket, decision = open_and_hand_off(session, draft, settings)
    assert ticket is not None
    assert snapshot.delta("okpay_tickets_opened_total", category="refund") == 1
    assert snapshot.delta("okpay_handoffs_requested_total", outcome=decision.outcome) == 1
