"""Rasa component that adds rule-based entities (amount, phone, email, ticket, time)."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entity_patterns import find_all


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class OKPayEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds amounts (五百块 → 500), phones, emails, ticket numbers and times.

    Patterns beat a learned extractor here: these entities have fixed shapes,
    and a pattern needs no annotated examples and never drifts.
    """

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OKPayEntityExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = [
                {
                    ENTITY_ATTRIBUTE_TYPE: span.entity,
                    ENTITY_ATTRIBUTE_START: span.start,
                    ENTITY_ATTRIBUTE_END: span.end,
                    ENTITY_ATTRIBUTE_VALUE: span.value,
                    "text": span.text,
                }
                for span in find_all(text)
            ]
            if found:
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, []) + self.add_extractor_name(found),
                    add_to_output=True,
                )
        return messages
