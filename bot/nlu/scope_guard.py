"""Out of scope only for topics OKPay does not serve.

A classifier trained on short examples reads an unfamiliar name (another app,
a loan product, a merchant) as "not ours", although the user's problem is
usually a payment, a withdrawal or a refund. This component runs after the
classifier: when it chose `out_of_scope` with low confidence, or for a message
that names something OKPay does (付款, 提现, 退款 …, `bot/nlu/in_scope_words.txt`),
it turns the prediction into `nlu_fallback`, keeping the ranking. The
assistant then asks which topic was meant, with buttons for the likeliest
(action_handle_fallback), instead of saying it cannot help.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalize import normalize

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
DEFAULT_WORDS = Path(__file__).parent / "in_scope_words.txt"


@lru_cache(maxsize=4)
def load_words(path: str) -> Tuple[str, ...]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return tuple(normalize(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


def looks_in_scope(text: str, words: Tuple[str, ...]) -> bool:
    normalized = normalize(text or "")
    return any(word in normalized for word in words)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OutOfScopeGuard(GraphComponent, IntentClassifier):
    """Sends doubtful or in-scope-looking `out_of_scope` predictions to the clarifying question."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # words_path None: bot/nlu/in_scope_words.txt wherever the project is
        # (a path resolved at training time would be stored in the model).
        return {"threshold": 0.5, "words_path": None}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}
        self.words = load_words(str(self.config["words_path"] or DEFAULT_WORDS))

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> OutOfScopeGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") != OUT_OF_SCOPE:
                continue
            confidence = float(intent.get("confidence") or 0.0)
            if confidence < self.config["threshold"] or looks_in_scope(message.get(TEXT), self.words):
                message.set(INTENT, {"name": FALLBACK, "confidence": confidence}, add_to_output=True)
                ranking = message.get("intent_ranking") or []
                message.set("intent_ranking", [{"name": FALLBACK, "confidence": confidence}, *ranking],
                            add_to_output=True)
        return messages
