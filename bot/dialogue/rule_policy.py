"""Rasa's rule policy, matching its rules against the recent part of the conversation only.

A rule is a short sequence of dialogue states; Rasa's `RulePolicy` checks the
rules against the conversation's states from the latest one backwards, and a
rule whose states have all been checked applies whatever came before it. Yet
it builds, featurises, formats and deep-copies (for a debug log) the states
of the whole session at each of its two or three calls per prediction, so at
turn 200 it cost 8 ms of a turn and grew with every turn.

This subclass gives the rule policy the states of the last turns only, as
many as its longest rule has (loop rules included) plus one: the rules
applicable are the same, including rules that hold only at the start of a
conversation (a conversation shorter than that is given whole). During
training Rasa's policy sees everything, as before, since it compares whole
conversations with the rules there.

Its name stays `RulePolicy`, so the predictions are recorded under the same
policy name (events, `rasa test`). Rasa's recipe validator looks for its own
class exactly: it would warn that no rule policy is configured, and skip the
check of the rule policy's settings against the domain; this class runs that
check when it trains, and the warning is filtered below.

Loading it also applies `bot.rasa_patches` (see there), so every Rasa command
that loads the model gets them.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, List

from rasa.core.policies import rule_policy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.runtime.incremental_tracker import IncrementalTracker

warnings.filterwarnings("ignore", message="'RulePolicy' is not included in the model's policy configuration")


class _RecentStates:
    """A tracker whose past states are its last `count` ones; everything else is the tracker's."""

    def __init__(self, tracker: DialogueStateTracker, count: int) -> None:
        self._tracker, self._count = tracker, count

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tracker, name)

    def past_states(self, domain: Domain, **arguments: Any) -> List[Dict[str, Any]]:
        if isinstance(self._tracker, IncrementalTracker):
            return self._tracker.past_states(domain, last=self._count, **arguments)
        return self._tracker.past_states(domain, **arguments)[-self._count:]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RulePolicy(rule_policy.RulePolicy):
    """Rasa's `RulePolicy`, predicting from the states its longest rule can reach."""

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, model_storage, resource, execution_context, *args, **kwargs)
        # Every command that loads the model loads this policy: `rasa run`, `rasa shell`, `rasa test`,
        # `rasa interactive`, ours. The changes to Rasa that have no plug-in point come with it.
        rasa_patches.apply()
        self._training = False
        self._states_needed: int | None = None

    def train(self, training_trackers: List[Any], domain: Domain, **kwargs: Any) -> Resource:
        self.raise_if_incompatible_with_domain(self.config, domain)
        self._training, self._states_needed = True, None
        try:
            return super().train(training_trackers, domain, **kwargs)
        finally:
            self._training = False

    def states_needed(self) -> int:
        """The states of the longest rule (loop rules included), plus one."""
        if self._states_needed is None:
            keys = [*self.lookup.get(rule_policy.RULES, {}), *self.lookup.get(rule_policy.RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            self._states_needed = max((len(self._rule_key_to_state(key)) for key in keys), default=0) + 1
        return self._states_needed

    def _prediction_states(self, tracker: DialogueStateTracker, domain: Domain,
                           use_text_for_last_user_input: bool = False,
                           rule_only_data: Dict[str, Any] | None = None) -> List[Dict[str, Any]]:
        if not self._training:
            tracker = _RecentStates(tracker, self.states_needed())  # type: ignore[assignment]
        return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
