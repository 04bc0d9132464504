"""The console app against a migrated SQLite store and a fake Rasa."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest

from bot.console.rasa_client import RasaUnavailable
from bot.settings import Settings
from bot.tickets.database import Database
from bot.tickets.migrate import upgrade


class FakeRasa:
    """Records the console's calls to Rasa; serves tracker events; can be 'down'."""

    def __init__(self) -> None:
        self.calls: List[tuple] = []
        self.tracker_events: Dict[str, List[Dict[str, Any]]] = {}
        self.down = False

    def _call(self, *call: Any) -> None:
        if self.down:
            raise RasaUnavailable("down")
        self.calls.append(call)

    def called(self, name: str) -> List[tuple]:
        return [call for call in self.calls if call[0] == name]

    async def events(self, conversation_id: str) -> List[Dict[str, Any]]:
        self._call("events", conversation_id)
        return list(self.tracker_events.get(conversation_id, []))

    async def append(self, conversation_id: str, events: List[Dict[str, Any]], channel: str | None = None) -> None:
        self._call("append", conversation_id, events, channel)

    async def execute(self, conversation_id: str, action: str, channel: str) -> None:
        self._call("execute", conversation_id, action, channel)

    async def trigger_intent(self, conversation_id: str, intent: str, entities: Dict[str, str], channel: str) -> None:
        self._call("trigger_intent", conversation_id, intent, entities, channel)

    async def say_as_agent(self, conversation_id: str, text: str, agent: Dict[str, str], channel: str) -> None:
        self._call("say_as_agent", conversation_id, text, agent, channel)

    async def hand_back(self, conversation_id: str, ticket_number: str, channel: str) -> None:
        self._call("hand_back", conversation_id, ticket_number, channel)

    async def introduce_agent(self, conversation_id: str, name: str, number: str, channel: str) -> None:
        self._call("introduce_agent", conversation_id, name, number, channel)

    async def close(self) -> None:
        pass


@pytest.fixture
def console_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def console_settings(console_db):
    return Settings(database_url=console_db.url, agent_capacity=2)
