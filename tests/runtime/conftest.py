"""Stand-ins for the parts of a Rasa agent that the runtime code touches."""
from __future__ import annotations

from typing import Any, Callable, List

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

RESPONSES = {
    "utter_service_busy": [{"text": "系统正忙，请稍后再发一次。"}],
    "utter_try_again_shortly": [{"text": "这一步没能完成，请稍后再试。"}],
}


@pytest.fixture
def small_domain() -> Domain:
    return Domain.from_dict({"responses": RESPONSES})


class FakeProcessor:
    """Runs `behaviour(attempt)` for each message; records the attempts."""

    def __init__(self, behaviour: Callable[[int], Any]):
        self.behaviour, self.attempts = behaviour, 0

    async def handle_message(self, message: Any) -> List[dict]:
        self.attempts += 1
        return self.behaviour(self.attempts)


class FakeTrackerStore:
    """Holds at most one tracker; `retrieve` as Rasa's awaitable tracker store."""

    def __init__(self) -> None:
        self.tracker: Any = None

    async def retrieve(self, sender_id: str) -> Any:
        return self.tracker


class FakeAgent:
    def __init__(self, domain: Domain, lock_store: Any, processor: FakeProcessor):
        self.domain, self.lock_store, self.processor = domain, lock_store, processor
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.tracker_store = FakeTrackerStore()

    def is_ready(self) -> bool:
        return True


@pytest.fixture
def make_agent(small_domain):
    def make(lock_store: Any, behaviour: Callable[[int], Any]) -> FakeAgent:
        return FakeAgent(small_domain, lock_store, FakeProcessor(behaviour))

    return make
