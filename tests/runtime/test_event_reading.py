"""Stored events read back as Rasa reads them, each event's class found once."""
from __future__ import annotations

import logging

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)

from bot.runtime import event_reading
from bot.runtime.event_reading import event_class, event_from_dict, events_from_dicts

STORED = [
    SessionStarted().as_dict(),
    ActionExecuted("action_listen").as_dict(),
    UserUttered("付款失败", intent={"name": "payment_failed", "confidence": 0.9},
                parse_data={"intent": {"name": "payment_failed", "confidence": 0.9}, "entities": []}).as_dict(),
    SlotSet("guide", "payment").as_dict(),
    BotUttered("请先检查网络", metadata={"utter_action": "utter_x"}).as_dict(),
]


def test_events_read_back_equal_rasas():
    assert events_from_dicts(STORED) == deserialise_events(STORED)
    assert [type(event) for event in events_from_dicts(STORED)] == [
        SessionStarted, ActionExecuted, UserUttered, SlotSet, BotUttered]


def test_each_name_is_resolved_once_and_matches_rasas_lookup(monkeypatch):
    import rasa.shared.utils.common

    monkeypatch.setattr(event_reading, "_classes", {})
    walks = []
    real = rasa.shared.utils.common.all_subclasses
    monkeypatch.setattr(rasa.shared.utils.common, "all_subclasses", lambda cls: walks.append(cls) or real(cls))
    found = [event_class("user") for _ in range(3)] + [event_class("slot")]
    assert walks.count(Event) == 2  # "user" and "slot" once each
    assert found == [Event.resolve_by_type("user")] * 3 + [Event.resolve_by_type("slot")] == [UserUttered] * 3 + [
        SlotSet]


def test_an_event_defined_after_start_up_still_resolves():
    class LateEvent(SlotSet):
        type_name = "okpay_test_late"

    assert event_class("okpay_test_late") is LateEvent


def test_unknown_or_nameless_events_are_skipped_with_a_warning(caplog):
    assert event_from_dict({"event": "topic"}) is None
    assert event_from_dict({"text": "no name"}) is None
    with caplog.at_level(logging.WARNING, logger="bot.runtime.event_reading"):
        events = events_from_dicts([{"event": "no_such_event"}, {"no": "event"}, *STORED[:2]])
    assert [type(event) for event in events] == [SessionStarted, ActionExecuted]
    assert "no_such_event" in caplog.text
