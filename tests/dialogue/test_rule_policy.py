"""Our rule policy predicts what Rasa's predicts, from the recent states only, with the trained model's rules.

Long conversations are played against the rules of the current model: random
intents of the domain, and after each the actions the policy predicts (a
form it predicts becomes active, as when it runs) until it listens again. At
every step both policies, loaded from the same trained resource, get the
same conversation; their predictions must be the same.
"""
from __future__ import annotations

import random
from typing import Tuple

import pytest
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH
from rasa.core.policies.rule_policy import RulePolicy as RasasRulePolicy
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.rule_policy import RulePolicy
from bot.model_files import model_path as current_model_path
from bot.runtime.incremental_tracker import IncrementalTracker

pytestmark = pytest.mark.skipif(not current_model_path().exists(), reason="needs the trained model (scripts/test trains it)")


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> Tuple[RulePolicy, RasasRulePolicy, Domain]:
    storage, metadata = LocalModelStorage.from_model_archive(tmp_path_factory.mktemp("model"), current_model_path())
    node = next(node for node in metadata.predict_schema.nodes.values() if node.uses is RulePolicy)
    context = ExecutionContext(metadata.predict_schema, metadata.model_id)
    config = {**RulePolicy.get_default_config(), **node.config}
    ours = RulePolicy.load(config, storage, node.resource, context)
    rasas = RasasRulePolicy.load(config, storage, node.resource, context)
    return ours, rasas, metadata.domain


def predicted(policy, tracker: DialogueStateTracker, domain: Domain) -> Tuple[str, bool]:
    prediction = policy.predict_action_probabilities(tracker, domain)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return domain.action_names_or_texts[best], prediction.hide_rule_turn


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_conversations_get_rasas_predictions(policies, seed: int):
    ours, rasas, domain = policies
    assert ours.states_needed() < 12  # else these conversations would not reach past what it keeps
    randomly = random.Random(seed)
    tracker = IncrementalTracker("u1", domain.slots)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    compared = 0
    for _ in range(60):
        tracker.update(UserUttered("…", intent={"name": randomly.choice(domain.intents), "confidence": 1.0}))
        for _ in range(4):
            plain = DialogueStateTracker.from_events("u1", list(tracker.events), domain.slots)
            action, hidden = predicted(ours, tracker, domain)
            assert (action, hidden) == predicted(rasas, plain, domain), f"after {len(tracker.events)} events"
            compared += 1
            tracker.update(ActionExecuted(action))
            if action in domain.form_names:
                tracker.update(ActiveLoop(action))
            if action == ACTION_LISTEN_NAME:
                break
    assert compared > 120


def test_only_the_recent_states_are_built(policies):
    ours, rasas, domain = policies
    tracker = IncrementalTracker("u1", domain.slots)
    for _ in range(50):
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        tracker.update(UserUttered("谢谢", intent={"name": "thank", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_you_are_welcome"))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    assert len(ours._prediction_states(tracker, domain)) == ours.states_needed()
    assert len(rasas._prediction_states(tracker, domain)) == 102


@pytest.mark.parametrize("seed", range(5))
def test_the_states_kept_decide_which_rules_apply_as_all_states_do(policies, seed: int):
    """Conversations made of the model's own rules, some cut short at their start: the rules that apply to the
    states kept are those that apply to the whole conversation."""
    ours, _, _ = policies
    randomly = random.Random(seed)
    kept = ours.states_needed()
    for lookup in (ours.lookup[RULES], ours.lookup[RULES_FOR_LOOP_UNHAPPY_PATH]):
        rules = [ours._rule_key_to_state(key) for key in lookup]
        for _ in range(40):
            states = []
            for _ in range(randomly.randint(1, 6)):
                rule = list(randomly.choice(rules))
                states += rule[randomly.randint(0, len(rule) - 1):] if randomly.random() < 0.5 else rule
            assert ours._get_possible_keys(lookup, states[-kept:]) == ours._get_possible_keys(lookup, states)
