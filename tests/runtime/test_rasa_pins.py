"""The Rasa functions our code replaces or follows, pinned to the source they were written for (Rasa 3.6.21).

Replaced: every method `bot/rasa_patches.py` patches (the test below checks
that none is missing). Followed: `bot/runtime/incremental_tracker.py` carries
on Rasa's `applied_events`, `states_for_tracker_history` and `copy` step by
step; `bot/dialogue/rule_policy.py` relies on how `RulePolicy` matches rules
against states; `bot/runtime/cached_tracker_store.py` on how `SQLTrackerStore`
creates its engine, reads and saves; `bot/runtime/event_reading.py` reads
events as `Event.from_parameters`; `bot/runtime/message_guard.py` does what
`Agent.handle_message` does; `bot/runtime/tracker_store.py` sets the error
callback of Rasa's `FailSafeTrackerStore`; `bot/channels/service.py` relies on
how `register` mounts a channel's blueprint. If an upgrade changes one of
them, this test names it: read the new source, adapt our code, then update
the hash here.
"""
from __future__ import annotations

import hashlib
import inspect

import pytest
import rasa
import rasa.core.tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels import channel
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core import events
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches

PINNED = {
    # replaced (bot/rasa_patches.py)
    MessageProcessor.log_message: "f2f8ec66a291d83d",
    MessageProcessor._should_handle_message: "e62818f15e2dd228",
    RemoteAction.run: "ccabf6f1160d527a",
    RemoteAction._validate_action_result: "f8cdb4be68123961",
    DialogueStateTracker.applied_events: "764d5065ea9997d6",
    DialogueStateTracker.generate_all_prior_trackers: "a1f6954347b52649",
    DialogueStateTracker.travel_back_in_time: "09d16f28f007492f",
    DialogueStateTracker.init_copy: "429fcd2243b9e0e1",
    DialogueStateTracker.__init__: "8f39eb22462aa62b",
    Domain.states_for_tracker_history: "035111ce73ac90ba",
    MaxHistoryTrackerFeaturizer.prediction_states: "451caf09a389e871",
    RulePolicy._find_action_from_rules: "be6da6ee0f5429bd",
    RulePolicy._get_possible_keys: "2915fd81711e194c",
    RulePolicy._is_rule_applicable: "64a108b016b46e57",
    RulePolicy._predict: "f5182d8a10639e14",
    RemoteAction._action_call_format: "428795b944f22edb",
    # followed
    Agent.handle_message: "ba53507e4d5532a3",
    Agent._create_tracker_store: "97499b594b45581b",
    FailSafeTrackerStore.__init__: "a1d5d95d2f96830b",
    FailSafeTrackerStore.on_tracker_store_error: "6faca7ba72b36da4",
    FailSafeTrackerStore.on_tracker_store_retrieve_error: "162b49564c52ab49",
    channel.register: "f6dc783f1ad3638e",
    events.Event.from_parameters: "0cd3c87e5812d7ae",
    events.deserialise_events: "38dfc592a4be4dec",
    SQLTrackerStore.__init__: "64e704d159dfa35b",
    rasa.core.tracker_store.create_engine_kwargs: "dff5f092362096da",
    SQLTrackerStore.save: "57165e46eab3de08",
    SQLTrackerStore._additional_events: "d22f99eb863acb07",
    SQLTrackerStore._event_query: "cd44f7901b860bfd",
    TrackerStore.stream_events: "efd3615f5340218a",
    TrackerStore._stream_new_events: "a3990c70850759b8",
    TrackerStore.init_tracker: "2089b91e90d881a1",
}


def source_hash(function) -> str:
    function = inspect.unwrap(function)
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def test_the_rasa_version_is_the_one_pinned():
    assert rasa.__version__ == "3.6.21"


@pytest.mark.parametrize("function", list(PINNED), ids=lambda f: f.__qualname__)
def test_the_source_followed_is_unchanged(function):
    assert source_hash(function) == PINNED[function], f"Rasa's {function.__qualname__} changed: see the docstring"


def test_every_patch_is_pinned():
    pinned = {inspect.unwrap(function) for function in PINNED}
    for owner, name, _ in rasa_patches.patches():
        assert rasa_patches.original(owner, name) in pinned, f"{owner.__name__}.{name} is patched but not pinned"
