"""A policy that lets the open guide answer the replies to its step.

Rules map intents to actions, but a reply to a step is understood against that
step, not by its intent alone: "验证码没来" at the step that sends a code is
that step's problem, not a new password reset; "流量满格" after the network
step means the network is fine, not "solved". When a guide has just shown a
step and `bot.guides.replies.interpret` reads the user's message as a reply
to it, this policy predicts `action_guide_advance` (which answers it the same
way), above the rules. Anything else — a new topic, a request for a person, a
paused conversation, a form — it leaves to the other policies.

It learns nothing: the guides in bot/content are read when it predicts, so a
change of patterns needs no new model. Named in config.yml, it works however
Rasa is started (`rasa run` included).
"""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.guides.progress import position_from_slots
from bot.guides.replies import GUIDE_ACTIONS, classifier_guess, interpret

ADVANCE = "action_guide_advance"


def last_action_before_user(tracker: DialogueStateTracker) -> str | None:
    """The last action (not `action_listen`) before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def reply_to_step(tracker: DialogueStateTracker) -> bool:
    """Whether the latest message answers the step the open guide just showed."""
    if tracker.is_paused() or tracker.active_loop_name or not tracker.get_slot("guide_active"):
        return False
    if last_action_before_user(tracker) not in GUIDE_ACTIONS:
        return False
    position = position_from_slots(tracker.get_slot)
    message = tracker.latest_message
    if position is None or message is None or not message.text:
        return False
    intent, confidence = classifier_guess(message.parse_data)
    return interpret(position, message.text, intent, confidence) is not None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class GuideReplyPolicy(Policy):
    """Predicts `action_guide_advance` for replies to a guide's step, then listens."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"priority": RULE_POLICY_PRIORITY + 1}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any | None = None) -> None:
        super().__init__({**self.get_default_config(), **config}, model_storage, resource, execution_context,
                         featurizer)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Dict[str, Any] | None = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        latest = tracker.latest_action_name
        if latest == ACTION_LISTEN_NAME and reply_to_step(tracker):
            probabilities[domain.index_for_action(ADVANCE)] = 1.0
        elif latest == ADVANCE and self._took_this_turn(tracker):
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def _took_this_turn(tracker: DialogueStateTracker) -> bool:
        """Whether this policy predicted the `action_guide_advance` just run."""
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecuted) and event.action_name == ADVANCE:
                return event.policy == GuideReplyPolicy.__name__
        return False
