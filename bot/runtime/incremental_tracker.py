"""A Rasa tracker that does not re-walk its whole history on every prediction.

Rasa derives two things from a tracker's events again and again: the events
that apply (`applied_events`: without reverted turns, restarts and loop
repeats) and the dialogue state before each action (`past_states`, which
replays every applied event into a fresh tracker). The rule policy asks for
the past states at every prediction, two or three times per turn, so at turn
200 of a conversation that walk was a third of the turn (py-spy,
`benchmarks/profile_turns.py`) and it grew with every turn.

Both depend only on the events before each point, and a conversation's
events are only ever appended. This tracker keeps what it derived and carries
on from there when new events arrive, recomputing from scratch when the
events were changed in any other way (a different event where the last one it
saw was, or a loop name it had not seen, which changes how earlier events
apply). The results are the same lists Rasa computes (tests compare them over
conversations with reverts, restarts, loops and new sessions); the source of
the Rasa functions followed here is pinned in `tests/runtime/test_rasa_pins.py`.

`bot.runtime.cached_tracker_store.CachedSQLTrackerStore` creates these
trackers and keeps them between turns, so what they remember is used.
"""
from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Dict, FrozenSet, Iterable, List

from rasa.shared.core.constants import PREVIOUS_ACTION, USER
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

State = Dict[str, Dict[str, Any]]
#: Ways of asking for the past states (arguments) remembered per tracker.
WALKS_KEPT = 8


@dataclass
class _Applied:
    """What was derived from the first `count` events of a tracker, `last` being the last of them."""

    count: int = 0
    last: Event | None = None
    loop_names: FrozenSet[str] = frozenset()
    events: List[Event] = field(default_factory=list)

    def continued_by(self, events: Any) -> bool:
        """Whether `events` are the events seen so far with others appended (nothing else changed)."""
        return len(events) >= self.count and (not self.count or events[self.count - 1] is self.last)

    def reached(self, events: Any) -> None:
        """Notes that everything up to the last of `events` is derived."""
        self.count, self.last = len(events), (events[-1] if events else None)


@dataclass
class _Carry:
    """What Rasa's state walk carries from one action to the next when rule-only turns are ignored."""

    last_ml_action_sub_state: Any = None
    turn_was_hidden: bool = False


class _StateWalk:
    """Rasa's `Domain.states_for_tracker_history`, one applied event at a time."""

    def __init__(self, tracker: DialogueStateTracker, domain: Any, omit_unset_slots: bool,
                 ignore_rule_only_turns: bool, rule_only_data: Dict[str, Any] | None) -> None:
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.ignore_rule_only_turns = ignore_rule_only_turns
        self.rule_only_data = copy.deepcopy(rule_only_data)
        self.shadow = tracker.init_copy()
        self.applied: List[Event] = []
        self.states: List[State] = []
        self.carry = _Carry()

    def follows(self, domain: Any, omit_unset_slots: bool, ignore_rule_only_turns: bool,
                rule_only_data: Dict[str, Any] | None, applied: List[Event]) -> bool:
        """Whether `applied` continues the events walked so far, with the same arguments."""
        return (domain is self.domain and omit_unset_slots == self.omit_unset_slots
                and ignore_rule_only_turns == self.ignore_rule_only_turns and rule_only_data == self.rule_only_data
                and len(applied) >= len(self.applied)
                and all(seen is event for seen, event in zip(self.applied, applied, strict=False)))

    def _state(self, hide_rule_turn: bool, carry: _Carry, previous: State | None) -> State | None:
        """The loop body of `states_for_tracker_history` for the shadow tracker as it is now."""
        domain, tracker = self.domain, self.shadow
        if self.ignore_rule_only_turns:
            if not carry.turn_was_hidden:
                carry.last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
            if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
                carry.turn_was_hidden = hide_rule_turn
            if carry.turn_was_hidden:
                return None
        state = domain.get_active_state(tracker, omit_unset_slots=self.omit_unset_slots)
        if self.ignore_rule_only_turns:
            domain._remove_rule_only_features(state, self.rule_only_data)
            if previous is not None:
                domain._substitute_rule_only_user_input(state, previous)
            if carry.last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = carry.last_ml_action_sub_state
        return domain._clean_state(state)

    def states_for(self, applied: List[Event], last: int | None = None) -> List[State]:
        for event in islice(applied, len(self.applied), None):
            if isinstance(event, ActionExecuted):
                state = self._state(event.hide_rule_turn, self.carry, self.states[-1] if self.states else None)
                if state is not None:
                    self.states.append(state)
            self.shadow.update(event)
            self.applied.append(event)
        final = self._state(False, _Carry(**vars(self.carry)), self.states[-1] if self.states else None)
        states = self.states if final is None else [*self.states, final]
        return _copies(states if last is None else states[-last:])


def _copies(states: List[State]) -> List[State]:
    """Copies of `states` and of their user parts, shared between states where Rasa shares them.

    Rasa's featurizers delete keys from the user part of the states they are given (text or intent), and a state
    may share its user part with the state before it (rule-only turns): the copies do too, so a deletion reaches
    the same states as in Rasa's own list, and never the remembered ones.
    """
    users: Dict[int, Dict[str, Any]] = {}
    copies = []
    for state in states:
        state = dict(state)
        user = state.get(USER)
        if user is not None:
            if id(user) not in users:
                users[id(user)] = dict(user)
            state[USER] = users[id(user)]
        copies.append(state)
    return copies


def _apply(tracker: DialogueStateTracker, event: Event, applied: List[Event], loop_names: FrozenSet[str]) -> None:
    """One step of Rasa's `DialogueStateTracker.applied_events` loop."""
    if isinstance(event, (Restarted, SessionStarted)):
        applied.clear()
    elif isinstance(event, ActionReverted):
        DialogueStateTracker._undo_till_previous(ActionExecuted, applied)
    elif isinstance(event, UserUtteranceReverted):
        DialogueStateTracker._undo_till_previous(UserUttered, applied)
        DialogueStateTracker._undo_till_previous(ActionExecuted, applied)
    elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
          and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)):
        DialogueStateTracker._undo_till_previous_loop_execution(event.action_name, applied)
    else:
        applied.append(event)


def _after(events: Any, count: int) -> List[Event]:
    """The events after the first `count` (walking back from the end: the new ones are few)."""
    new = list(islice(reversed(events), len(events) - count))
    new.reverse()
    return new


def _loop_names(events: Iterable[Event]) -> FrozenSet[str]:
    return frozenset(event.name for event in events if isinstance(event, ActiveLoop) and event.name)


def _clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker in the same state as `tracker` that changes apart from it (its events, slots, loop and action)."""
    clone = copy.copy(tracker)
    clone.events = deque(tracker.events, tracker._max_event_history)
    clone.slots = type(tracker.slots)()
    clone.slots.update({name: copy.copy(slot) for name, slot in tracker.slots.items()})
    clone.active_loop = copy.copy(tracker.active_loop)
    clone.latest_action = copy.copy(tracker.latest_action)
    return clone


class IncrementalTracker(DialogueStateTracker):
    """`DialogueStateTracker` whose applied events and past states grow with its events instead of being rebuilt."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._applied_so_far = _Applied()
        self._walks: List[_StateWalk] = []
        #: Every event replayed into a blank tracker, as Rasa's `copy` does, and how many.
        self._replay: DialogueStateTracker | None = None
        self._replayed = _Applied()

    def copy(self) -> DialogueStateTracker:
        """Rasa's `copy` (every event replayed into a new tracker), cloned from a replay kept up to date.

        Rasa copies the tracker for every action it runs; at turn 200 the replay was a sixth of the turn.
        """
        if self._replay is None or not self._replayed.continued_by(self.events):
            self._replay, self._replayed = self.init_copy(), _Applied()
        for event in islice(self.events, self._replayed.count, None):
            self._replay.update(event)
        self._replayed.reached(self.events)
        return _clone(self._replay)

    def applied_events(self) -> List[Event]:
        """Rasa's `applied_events`, carried on from the events seen at the last call."""
        known = self._applied_so_far
        new = _after(self.events, known.count) if known.continued_by(self.events) else None
        if new is None or not _loop_names(new) <= known.loop_names:
            known = self._applied_so_far = _Applied(loop_names=_loop_names(self.events))
            new = list(self.events)
        for event in new:
            _apply(self, event, known.events, known.loop_names)
        known.reached(self.events)
        return list(known.events)

    def past_states(self, domain: Any, omit_unset_slots: bool = False, ignore_rule_only_turns: bool = False,
                    rule_only_data: Dict[str, Any] | None = None, last: int | None = None) -> List[State]:
        """Rasa's `past_states` (its `last` states only, if given), walking only the events applied since the last
        call with the same arguments."""
        applied = self.applied_events()
        arguments = (domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        walk = next((walk for walk in self._walks if walk.follows(*arguments, applied)), None)
        if walk is None:
            walk = _StateWalk(self, *arguments)
            # One walk per way of asking: the rule policy asks one way, a policy with
            # its own featurizer another.
            self._walks = [walk, *self._walks[:WALKS_KEPT - 1]]
        return walk.states_for(applied, last)
