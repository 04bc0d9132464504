"""The Rasa functions our runtime follows or replaces, pinned to the source they were written for (Rasa 3.6.21).

`bot/runtime/incremental_tracker.py` carries on Rasa's `applied_events`,
`states_for_tracker_history` and `copy` step by step; `bot/dialogue/rule_policy.py`
relies on how `RulePolicy` matches rules against states;
`bot/runtime/cached_tracker_store.py` on how `SQLTrackerStore` reads and saves;
`bot/rasa_patches.py` wraps `RemoteAction._action_call_format`. If an upgrade
changes one of them, this test names it: read the new source, adapt our code,
then update the hash here.
"""
from __future__ import annotations

import hashlib
import inspect

import pytest
import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

PINNED = {
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
    SQLTrackerStore.save: "57165e46eab3de08",
    SQLTrackerStore._additional_events: "d22f99eb863acb07",
    SQLTrackerStore._event_query: "cd44f7901b860bfd",
    TrackerStore.stream_events: "efd3615f5340218a",
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
