"""The incremental tracker gives Rasa's own applied events and past states, turn after turn.

Conversations are drawn at random (hypothesis) from events that change how
Rasa reads a history: reverted turns and actions, restarts, new sessions,
loops that start, repeat, are rejected and end, follow-up actions, turns
hidden from the ML policies, slots that shape the state. After every event
the incremental tracker is compared with Rasa's computation on the same
events, for every combination of arguments the policies use.
"""
from __future__ import annotations

from typing import List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.runtime.incremental_tracker import IncrementalTracker

FEATURIZER = MaxHistoryTrackerFeaturizer()

DOMAIN = Domain.from_dict({
    "intents": ["greet", "affirm", "deny", "ask_fee"],
    "entities": ["amount"],
    "slots": {
        "flag": {"type": "bool", "influence_conversation": True, "mappings": [{"type": "custom"}]},
        "level": {"type": "categorical", "values": ["low", "high"], "influence_conversation": True,
                  "mappings": [{"type": "custom"}]},
        "topic": {"type": "text", "influence_conversation": True, "mappings": [{"type": "custom"}]},
        "note": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
    },
    "actions": ["action_check", "action_guide"],
    "responses": {"utter_hello": [{"text": "你好"}], "utter_fee": [{"text": "免费"}]},
    "forms": {"ticket_form": {"required_slots": []}, "rating_form": {"required_slots": []}},
})
ACTIONS = ["action_listen", "action_check", "action_guide", "utter_hello", "utter_fee", "ticket_form", "rating_form"]
LOOPS = ["ticket_form", "rating_form"]
SLOT_VALUES = {"flag": [True, False, None], "level": ["low", "high", None], "topic": ["付款", None], "note": ["x"]}
RULE_ONLY = [None, {RULE_ONLY_SLOTS: ["flag"], RULE_ONLY_LOOPS: ["rating_form"]}]


def _user(intent: str, with_entity: bool, text_too: bool) -> UserUttered:
    entities = [{"entity": "amount", "value": "500", "start": 0, "end": 3}] if with_entity else []
    return UserUttered("五百块" if text_too else None, intent={"name": intent, "confidence": 0.9}, entities=entities)


EVENTS = st.one_of(
    st.builds(_user, st.sampled_from(["greet", "affirm", "deny", "ask_fee"]), st.booleans(), st.booleans()),
    st.builds(lambda name, hide: ActionExecuted(name, hide_rule_turn=hide), st.sampled_from(ACTIONS), st.booleans()),
    st.builds(lambda name: ActionExecuted(name), st.sampled_from(ACTIONS)),
    st.builds(lambda slot, pick: SlotSet(slot, SLOT_VALUES[slot][pick % len(SLOT_VALUES[slot])]),
              st.sampled_from(sorted(SLOT_VALUES)), st.integers(0, 5)),
    st.builds(ActiveLoop, st.sampled_from([*LOOPS, None])),
    st.builds(ActionExecutionRejected, st.sampled_from(LOOPS)),
    st.builds(FollowupAction, st.sampled_from(ACTIONS[1:])),
    st.just(BotUttered("好的")),
    st.sampled_from([UserUtteranceReverted(), ActionReverted(), Restarted(), SessionStarted()]),
)


def rasas(tracker: DialogueStateTracker, **arguments) -> list:
    plain = DialogueStateTracker.from_events(tracker.sender_id, list(tracker.events), DOMAIN.slots)
    return DOMAIN.states_for_tracker_history(plain, **arguments)


def check(tracker: IncrementalTracker) -> None:
    plain = DialogueStateTracker.from_events(tracker.sender_id, list(tracker.events), DOMAIN.slots)
    assert [id(e) for e in tracker.applied_events()] == [id(e) for e in plain.applied_events()]
    for omit in (False, True):
        for ignore in (False, True):
            for rule_only in RULE_ONLY:
                arguments = dict(omit_unset_slots=omit, ignore_rule_only_turns=ignore, rule_only_data=rule_only)
                ours = tracker.past_states(DOMAIN, **arguments)
                rasas = DOMAIN.states_for_tracker_history(plain, **arguments)
                assert ours == rasas
                # What Rasa's featurizer does to the states it is given (it deletes the text or the intent of
                # the user parts): the same to ours, and nothing to what the tracker remembers.
                if rasas:  # (every turn hidden from ML policies leaves no state; the featurizer expects one)
                    for states in (ours, rasas):
                        FEATURIZER._choose_last_user_input([states], use_text_for_last_user_input=omit)
                    assert ours == rasas


def same_state(ours: DialogueStateTracker, rasas: DialogueStateTracker) -> None:
    assert type(ours) is type(rasas)
    assert sorted(vars(ours)) == sorted(vars(rasas))
    assert ours.current_state(EventVerbosity.ALL) == rasas.current_state(EventVerbosity.ALL)
    assert (ours.latest_message, ours.latest_bot_utterance) == (rasas.latest_message, rasas.latest_bot_utterance)
    assert ours.events.maxlen == rasas.events.maxlen


def played(events, after_each=lambda tracker: None) -> IncrementalTracker:
    """A tracker given `events` one by one, `after_each(tracker)` run after every one."""
    tracker = IncrementalTracker("u1", DOMAIN.slots)
    for event in events:
        tracker.update(event)
        after_each(tracker)
    return tracker


def check_copy(tracker: IncrementalTracker) -> None:
    same_state(tracker.copy(), DialogueStateTracker.travel_back_in_time(tracker, float("inf")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENTS, min_size=1, max_size=40))
def test_after_every_event_the_tracker_reads_its_history_as_rasa_does(events: List[Event]):
    played(events, check)


def test_a_conversation_whose_turns_are_all_hidden_has_no_states_as_in_rasa():
    """Found by hypothesis in CI: a hidden listen then a follow-up action leaves the ML states empty."""
    played([_user("greet", False, False), ActiveLoop("ticket_form"),
            ActionExecuted("action_listen", hide_rule_turn=True), FollowupAction("action_check")], check)


def test_a_long_conversation_gives_rasas_states_at_every_turn():
    tracker = IncrementalTracker("u1", DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    for turn in range(60):
        tracker.update(_user(["greet", "ask_fee", "affirm"][turn % 3], turn % 2 == 0, True))
        if turn % 7 == 3:
            tracker.update(ActionExecuted("ticket_form"))
            tracker.update(ActiveLoop("ticket_form"))
            tracker.update(SlotSet("topic", "付款"))
        elif turn % 7 == 5:
            tracker.update(ActiveLoop(None))
        tracker.update(ActionExecuted(ACTIONS[1 + turn % 4]))
        tracker.update(BotUttered("好的"))
        tracker.update(ActionExecuted("action_listen"))
        check(tracker)


@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_events_changed_other_than_appended_are_read_again(change: str):
    tracker = IncrementalTracker("u1", DOMAIN.slots)
    for name in ("action_listen", "utter_hello", "action_listen"):
        tracker.update(ActionExecuted(name))
    check(tracker)
    if change == "replaced":
        tracker.events[-1] = ActionExecuted("action_check")
    else:
        tracker.events.pop()
    check(tracker)


def test_a_tracker_with_a_bounded_history_drops_its_oldest_events_as_rasas_does():
    tracker = IncrementalTracker("u1", DOMAIN.slots, max_event_history=5)
    for turn in range(12):
        tracker.update(_user("greet", False, True))
        tracker.update(ActionExecuted("utter_hello" if turn % 2 else "action_check"))
        check(tracker)


def test_a_new_loop_name_is_read_from_the_start():
    """A loop seen for the first time changes how its earlier executions apply (Rasa's `loop_names`)."""
    tracker = played([ActionExecuted("action_listen"), _user("greet", False, True), ActionExecuted("ticket_form"),
                      ActionExecuted("action_listen"), _user("affirm", False, True), ActionExecuted("ticket_form")],
                     check)
    tracker.update(ActiveLoop("ticket_form"))
    check(tracker)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENTS, min_size=1, max_size=30))
def test_a_copy_is_rasas_replay_and_changes_apart_from_the_tracker(events: List[Event]):
    tracker = played(events, check_copy)
    before = tracker.current_state(EventVerbosity.ALL)
    copied = tracker.copy()
    for event in (ActiveLoop("ticket_form"), ActionExecutionRejected("ticket_form"), SlotSet("flag", True),
                  _user("deny", True, True), ActionExecuted("utter_fee")):
        copied.update(event)
    assert tracker.current_state(EventVerbosity.ALL) == before
    tracker.update(SlotSet("level", "high"))
    check_copy(tracker)


def test_a_loop_rejected_in_a_copy_is_not_rejected_in_the_tracker():
    tracker = played([ActionExecuted("action_listen"), _user("greet", False, True), ActionExecuted("ticket_form"),
                      ActiveLoop("ticket_form"), SlotSet("level", "low")])
    copied = tracker.copy()
    copied.update(ActionExecutionRejected("ticket_form"))
    copied.update(SlotSet("level", "high"))
    assert copied.is_active_loop_rejected and copied.get_slot("level") == "high"
    assert not tracker.is_active_loop_rejected and tracker.get_slot("level") == "low"
    assert not tracker.copy().is_active_loop_rejected
