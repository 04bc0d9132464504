"""The console's calls to Rasa's HTTP API (a signed JWT in a header, `bot.runtime.api_auth`).

Conversation ids are quoted into the path: an id is a channel's user id
(`bot.channels.common.USER_ID`, which has no `/ ? # %`), and quoting makes
sure that even one that slipped through cannot turn the console's claim,
reply or resolve into a request about another conversation.

Agent messages are appended to the tracker as `bot` events with the user's
channel as output channel and `execute_side_effects=true`: Rasa records them
in the transcript and sends them through that channel's output, the same
path as the bot's own messages.
"""
from __future__ import annotations

from typing import Any, Dict, List
from urllib.parse import quote

import aiohttp

from bot.runtime.api_auth import TokenCache

LISTEN = {"event": "action", "name": "action_listen"}


class RasaUnavailable(RuntimeError):
    """Rasa did not answer, or refused the request."""


class NotDelivered(RasaUnavailable):
    """Rasa recorded nothing: the user's channel refused the message (WeChat's 48-hour window, a blocked bot…)."""


#: The characters of a conversation id that pass unescaped (`bot.channels.common.USER_ID` and its prefix):
#: Rasa's router (Sanic) does not unescape path parameters, so escaping them would name another conversation.
_ID_CHARACTERS = ":@=+"


def _path(conversation_id: str) -> str:
    """The id as one path segment: `/ ? # %`, spaces and the like are escaped, never read as URL syntax."""
    return quote(conversation_id, safe=_ID_CHARACTERS)


#: Conversations whose events the console keeps between reads (the most recently read).
KEPT_CONVERSATIONS = 512


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self._events: Dict[str, List[Dict[str, Any]]] = {}
        self._auth = TokenCache(token)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _request(self, method: str, path: str, params: Dict[str, str] | None = None, body: Any = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, f"{self.base_url}{path}", params=params or {}, json=body,
                                             headers=self._auth.headers()) as response:
                if response.status == 500 and "ConversationError" in (answer := await response.text()):
                    raise NotDelivered(f"Rasa could not deliver {method} {path}: {answer}")
                if response.status >= 400:
                    raise RasaUnavailable(f"Rasa answered {response.status} to {method} {path}: {await response.text()}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(f"Rasa did not answer {method} {path}: {error}") from error

    async def events(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Every event of the conversation (all sessions), asking Rasa only for those newer than the last call's.

        The events read are kept for the `KEPT_CONVERSATIONS` conversations asked about last. Positions
        never move (events are only appended); a conversation with fewer events than kept (deleted on a
        user's request) is read again whole.
        """
        known = self._events.pop(conversation_id, [])
        while True:
            page = await self._request("GET", f"/webhooks/okpay_events/conversations/{_path(conversation_id)}/events",
                                       {"after": str(len(known) - 1)})
            total = int(page.get("total") or 0)
            if total < len(known):
                known = []
                continue
            known = known + list(page.get("events") or [])
            if len(known) >= total or not page.get("events"):
                break
        self._events[conversation_id] = known
        while len(self._events) > KEPT_CONVERSATIONS:
            self._events.pop(next(iter(self._events)))
        return list(known)

    async def agent_typing(self, conversation_id: str, typing: bool = True) -> bool:
        """Tells the user's channel that an agent is writing; whether the channel could show it."""
        answer = await self._request("POST", f"/webhooks/okpay_events/conversations/{_path(conversation_id)}/typing",
                                     body={"typing": typing})
        return bool((answer or {}).get("shown"))

    async def append(self, conversation_id: str, events: List[Dict[str, Any]], channel: str | None = None) -> None:
        """Appends events; with `channel`, bot messages among them are delivered there."""
        params = {"execute_side_effects": "true", "output_channel": channel} if channel else {}
        await self._request("POST", f"/conversations/{_path(conversation_id)}/tracker/events", params, events)

    async def execute(self, conversation_id: str, action: str, channel: str) -> None:
        """Runs one action (a response such as utter_agent_joined) and sends its messages.

        `action_listen` follows, as after any bot turn: Rasa's rules match a
        user message only after a listen, so the next intent (the user's, or
        the console's EXTERNAL_handoff_resolved) is understood as usual.
        """
        await self._request("POST", f"/conversations/{_path(conversation_id)}/execute", {"output_channel": channel},
                            {"name": action})
        await self.append(conversation_id, [LISTEN])

    async def trigger_intent(
        self, conversation_id: str, intent: str, entities: Dict[str, str], channel: str
    ) -> None:
        await self._request("POST", f"/conversations/{_path(conversation_id)}/trigger_intent", {"output_channel": channel},
                            {"name": intent, "entities": entities})

    async def say_as_agent(self, conversation_id: str, text: str, agent: Dict[str, str], channel: str) -> None:
        await self.append(conversation_id, [{"event": "bot", "text": text, "metadata": {"agent": agent}}], channel)

    async def hand_back(self, conversation_id: str, ticket_number: str, channel: str) -> None:
        """Resumes the conversation and lets the bot ask for a rating."""
        await self.append(conversation_id, [{"event": "resume"}, LISTEN])
        await self.trigger_intent(conversation_id, "EXTERNAL_handoff_resolved", {"ticket_id": ticket_number}, channel)

    async def introduce_agent(self, conversation_id: str, name: str, number: str, channel: str) -> None:
        await self.append(conversation_id, [
            {"event": "slot", "name": "agent_name", "value": name},
            {"event": "slot", "name": "agent_number", "value": number},
        ])
        await self.execute(conversation_id, "utter_agent_joined", channel)
