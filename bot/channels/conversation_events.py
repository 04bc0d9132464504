"""A conversation's events newer than those a service of ours already has (the console's transcript), and an
agent's typing shown to the user.

Rasa's HTTP API answers a conversation with all its events every time, and
the console asked for the whole conversation of every open ticket every two
seconds: its cost grew with the conversation. This route answers with the
events after a position the caller names, reading only those rows (with the
cached SQL tracker store; another store is read whole).

    GET /webhooks/okpay_events/conversations/<conversation id>/events?after=<position>
    Authorization: Bearer <API token, as for Rasa's API (bot.runtime.api_auth)>
    → {"events": [...], "after": <position given>, "total": <events of the conversation>}

Positions count the conversation's events from 0, every session, in the
order of Rasa's full tracker; `after=-1` asks for all. It is a route on an
input channel's blueprint, Rasa's plug-in point for routes, so `rasa run`
with our credentials.yml serves it too; the production load balancer keeps
it on the internal listener only (`bot.deploy.nginx`).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, List

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.conversations.reading import events_after
from bot.runtime.api_auth import is_admin_token
from bot.settings import get_settings


def _typing_output(channels: List[Any], conversation: str) -> Any:
    """The output channel that can show an agent typing to `conversation` (its channel's prefix), or None."""
    channel_name = conversation.split(":", 1)[0]
    for channel in channels:
        if channel.name() == channel_name:
            output = channel.get_output_channel()
            return output if hasattr(output, "agent_typing") else None
    return None


class ConversationEventsInput(InputChannel):
    """Not a channel users write to: a read-only route for the console, authorised like Rasa's API."""

    @classmethod
    def name(cls) -> str:
        return "okpay_events"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("okpay_events", __name__)

        @blueprint.route("/conversations/<conversation_id:path>/events", methods=["GET"])
        async def conversation_events(request: Request, conversation_id: str) -> HTTPResponse:
            if not is_admin_token(request.headers.get("Authorization"), get_settings().rasa_token):
                return response.json({"error": "unauthorized"}, status=401)
            try:
                after = int(request.args.get("after", "-1"))
            except ValueError:
                return response.json({"error": "after must be a whole number"}, status=400)
            if after < -1:
                return response.json({"error": "after must be -1 or more"}, status=400)
            events, total = await events_after(request.app.ctx.agent.tracker_store, conversation_id, after)
            return response.json({"events": events, "after": after, "total": total})

        @blueprint.route("/conversations/<conversation_id:path>/typing", methods=["POST"])
        async def agent_typing(request: Request, conversation_id: str) -> HTTPResponse:
            """An agent is writing to the user: the user's channel shows it, if it can (the widget does)."""
            if not is_admin_token(request.headers.get("Authorization"), get_settings().rasa_token):
                return response.json({"error": "unauthorized"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            output = _typing_output(getattr(request.app.ctx, "input_channels", []), conversation_id)
            if output is None:
                return response.json({"shown": False})
            await output.agent_typing(conversation_id, bool(body.get("typing", True)))
            return response.json({"shown": True})

        return blueprint
