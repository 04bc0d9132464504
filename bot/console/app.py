"""Routes of the agent console: pages (HTML) and the JSON API they use."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, TypeVar

import jinja2
import yaml
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console import sessions
from bot.console.rasa_client import NotDelivered, RasaClient, RasaUnavailable
from bot.console.serialize import agent_json, ticket_json
from bot.console.transcript import transcript
from bot.content.catalog import CONTENT_DIR
from bot.settings import Settings
from bot.tickets import store
from bot.tickets.database import Database, StoreUnavailable
from bot.tickets.models import AWAY, GENERAL_QUEUE, ONLINE, OPEN, SENIOR_QUEUE, SUPERVISOR, Agent, Ticket, utcnow
from bot.widget.routes import widget_routes

HERE = Path(__file__).resolve().parent
MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 64 * 1024
PRESENCE_WRITE_INTERVAL = timedelta(seconds=30)
T = TypeVar("T")

MESSAGES: Dict[str, str] = yaml.safe_load((HERE / "messages.yml").read_text(encoding="utf-8"))
#: No agent sign-in: the login itself, the console's files, and the chat widget's demo page and files.
PUBLIC_PATHS = ("/login", "/api/login", "/static/", "/health", "/widget")


class ApiError(web.HTTPException):
    """A refusal with a code and the agent-facing message for it."""

    def __init__(self, status: int, code: str):
        self.status_code = status
        super().__init__(
            text=json.dumps({"error": code, "message": MESSAGES.get(code, code)}, ensure_ascii=False),
            content_type="application/json",
        )


_STORE_STATUS = {"not_found": 404, "already_claimed": 409, "not_allowed": 403, "at_capacity": 409,
                 "invalid_change": 409}


@web.middleware
async def errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except store.TicketError as error:
        raise ApiError(_STORE_STATUS.get(error.code, 409), error.code) from error
    except StoreUnavailable as error:
        raise ApiError(503, "store_unavailable") from error


@web.middleware
async def signed_in(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Pages redirect to /login, API calls answer 401, unless the session is valid."""
    if request.path.startswith("/api/") and request.method not in ("GET", "HEAD"):
        # A cross-site form cannot send JSON without a preflight: this is the CSRF guard
        # (sign-in included, so no other site can sign a browser into its account).
        if request.content_type != "application/json":
            raise ApiError(415, "json_required")
    if request.path.startswith(PUBLIC_PATHS):
        return await handler(request)
    console = request.app[CONSOLE]
    token = request.cookies.get(sessions.COOKIE) or _bearer(request)
    agent = await console.db(partial(_touch, token=token))
    if agent is None:
        if request.path.startswith("/api/"):
            raise ApiError(401, "not_signed_in")
        raise web.HTTPFound("/login")
    request["agent"] = agent
    return await handler(request)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def _touch(session: Session, token: str | None) -> Dict[str, Any] | None:
    agent = sessions.agent_for_token(session, token)
    if agent is None:
        return None
    now = utcnow()
    # Presence needs minutes, not seconds: write at most every 30 s, not on every poll.
    if agent.last_seen_at is None or now - agent.last_seen_at > PRESENCE_WRITE_INTERVAL:
        agent.last_seen_at = now
    return agent_json(agent)


async def _json_body(request: web.Request) -> Dict[str, Any]:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY_BYTES, request.content_length)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_json") from error
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json")
    return body


async def _message_text(request: web.Request, key: str) -> str:
    """The non-empty, not too long text under `key` of a JSON body."""
    text = str((await _json_body(request)).get(key) or "").strip()
    if not text:
        raise ApiError(400, "empty_message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(413, "message_too_long")
    return text


class Console:
    """The app's state: settings, the ticket database, the Rasa client."""

    def __init__(self, settings: Settings, database: Database, rasa: RasaClient):
        self.settings, self.database, self.rasa = settings, database, rasa
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
        )

    async def db(self, work: Callable[..., T]) -> T:
        """Runs `work(session)` in a worker thread (SQLite may wait for its lock)."""

        def run() -> T:
            with self.database.session() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(None, run)

    def page(self, name: str, **context: Any) -> web.Response:
        html = self.templates.get_template(name).render(**context)
        return web.Response(text=html, content_type="text/html")

    # ------------------------------------------------------------------ pages
    async def login_page(self, request: web.Request) -> web.Response:
        return self.page("login.html")

    async def queue_page(self, request: web.Request) -> web.Response:
        return self.page("queue.html", agent=request["agent"])

    async def ticket_page(self, request: web.Request) -> web.Response:
        return self.page("ticket.html", agent=request["agent"], number=request.match_info["number"])

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    # ------------------------------------------------------------- session API
    async def login(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        username, password = str(body.get("username") or ""), str(body.get("password") or "")

        def sign_in(session: Session) -> tuple[str, Dict[str, Any]] | None:
            agent = sessions.authenticate(session, username, password)
            if agent is None:
                return None
            return sessions.start_session(session, agent, self.settings.console_session_hours), agent_json(agent)

        result = await self.db(sign_in)
        if result is None:
            raise ApiError(401, "bad_credentials")
        token, agent = result
        response = web.json_response({"agent": agent, "token": token})
        response.set_cookie(
            sessions.COOKIE, token, httponly=True, samesite="Strict", path="/",
            max_age=int(self.settings.console_session_hours * 3600),
        )
        return response

    async def logout(self, request: web.Request) -> web.Response:
        token = request.cookies.get(sessions.COOKIE) or _bearer(request)

        def sign_out(session: Session) -> None:
            agent = session.get(Agent, request["agent"]["id"])
            agent.presence = AWAY
            sessions.end_session(session, token or "")

        await self.db(sign_out)
        response = web.json_response({"ok": True})
        response.del_cookie(sessions.COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"agent": request["agent"]})

    async def presence(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        status = body.get("status")
        if status not in (ONLINE, AWAY):
            raise ApiError(400, "bad_request")

        def set_presence(session: Session) -> Dict[str, Any]:
            agent = session.get(Agent, request["agent"]["id"])
            agent.presence, agent.last_seen_at = status, utcnow()
            return agent_json(agent)

        return web.json_response({"agent": await self.db(set_presence)})

    # --------------------------------------------------------------- queue API
    async def queue(self, request: web.Request) -> web.Response:
        me = request["agent"]

        def read(session: Session) -> Dict[str, Any]:
            now = utcnow()
            queues = (GENERAL_QUEUE, SENIOR_QUEUE) if me["senior"] or me["role"] == SUPERVISOR else (GENERAL_QUEUE,)
            waiting = store.waiting(session, queues)
            mine = session.execute(
                select(Ticket).where(Ticket.assigned_agent_id == me["id"], Ticket.status == "assigned")
                .order_by(Ticket.claimed_at)
            ).scalars()
            offline = session.execute(
                select(Ticket).where(Ticket.status == OPEN).order_by(Ticket.created_at).limit(100)
            ).scalars()
            return {
                "waiting": [ticket_json(t, now, position=i + 1) for i, t in enumerate(waiting)],
                "mine": [ticket_json(t, now) for t in mine],
                "open": [ticket_json(t, now) for t in offline],
            }

        return web.json_response(await self.db(read))

    async def agents(self, request: web.Request) -> web.Response:
        def read(session: Session) -> List[Dict[str, Any]]:
            return [agent_json(a) for a in session.execute(
                select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)).scalars()]

        return web.json_response({"agents": await self.db(read)})

    async def canned(self, request: web.Request) -> web.Response:
        replies = yaml.safe_load((CONTENT_DIR / "canned_replies.yml").read_text(encoding="utf-8"))
        return web.json_response({"replies": replies["replies"]})

    # -------------------------------------------------------------- ticket API
    def _ticket(self, session: Session, number: str) -> Ticket:
        return store.ticket_by_number(session, number)

    def _agent(self, session: Session, request: web.Request) -> Agent:
        return session.get(Agent, request["agent"]["id"])

    async def ticket(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        data = await self.db(lambda s: ticket_json(self._ticket(s, number), utcnow(), full=True))
        return web.json_response({"ticket": data})

    async def ticket_transcript(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        try:
            after = int(request.query.get("after", "-1"))
        except ValueError as error:
            raise ApiError(400, "bad_request") from error
        conversation = await self.db(lambda s: self._ticket(s, number).conversation_id)
        try:
            lines = transcript(await self.rasa.events(conversation))
        except RasaUnavailable as error:
            raise ApiError(502, "rasa_unavailable") from error
        return web.json_response({"messages": [line for line in lines if line["seq"] > after]})

    async def claim(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]

        def work(session: Session) -> tuple[Dict[str, Any], str, str]:
            ticket, agent = self._ticket(session, number), self._agent(session, request)
            store.claim(session, ticket.id, agent, self.settings.agent_capacity)
            return ticket_json(ticket, utcnow(), full=True), ticket.conversation_id, ticket.channel

        data, conversation, channel = await self.db(work)
        me = request["agent"]
        delivered = await self._deliver(self.rasa.introduce_agent(conversation, me["display_name"], me["agent_number"],
                                                                   channel))
        return web.json_response({"ticket": data, "delivered": delivered})

    async def reply(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        text = await _message_text(request, "text")

        def check(session: Session) -> tuple[str, str]:
            ticket = self._ticket(session, number)
            store.require_handler(ticket, self._agent(session, request))
            ticket.updated_at = utcnow()
            return ticket.conversation_id, ticket.channel

        conversation, channel = await self.db(check)
        me = request["agent"]
        who = {"name": me["display_name"], "number": me["agent_number"], "username": me["username"]}
        try:
            await self.rasa.say_as_agent(conversation, text, who, channel)
        except NotDelivered as error:
            raise ApiError(502, "not_delivered") from error
        except RasaUnavailable as error:
            raise ApiError(502, "rasa_unavailable") from error
        return web.json_response({"ok": True})

    async def note(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        body = await _message_text(request, "body")

        def work(session: Session) -> Dict[str, Any]:
            ticket = self._ticket(session, number)
            store.add_note(session, ticket, self._agent(session, request), body)
            return ticket_json(ticket, utcnow(), full=True)

        return web.json_response({"ticket": await self.db(work)})

    async def transfer(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        body = await _json_body(request)
        to_username, to_queue = body.get("agent"), body.get("queue")
        if not to_username and to_queue != SENIOR_QUEUE and to_queue != "general":
            raise ApiError(400, "bad_request")

        def work(session: Session) -> tuple[Dict[str, Any], str, str, Dict[str, Any] | None]:
            ticket, agent = self._ticket(session, number), self._agent(session, request)
            target = None
            if to_username:
                target = session.execute(select(Agent).where(Agent.username == str(to_username))).scalar_one_or_none()
                if target is None:
                    raise ApiError(404, "unknown_agent")
            store.transfer(session, ticket, agent, to_agent=target, to_queue=None if target else to_queue)
            return (ticket_json(ticket, utcnow(), full=True), ticket.conversation_id, ticket.channel,
                    agent_json(target) if target else None)

        data, conversation, channel, target = await self.db(work)
        if target is not None:
            call = self.rasa.introduce_agent(conversation, target["display_name"], target["agent_number"], channel)
        else:
            call = self.rasa.execute(conversation, "utter_transfer_senior", channel)
        return web.json_response({"ticket": data, "delivered": await self._deliver(call)})

    async def resolve(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]

        def work(session: Session) -> tuple[Dict[str, Any], str, str, bool]:
            ticket = self._ticket(session, number)
            live = ticket.status != OPEN
            store.resolve(session, ticket, self._agent(session, request))
            return ticket_json(ticket, utcnow(), full=True), ticket.conversation_id, ticket.channel, live

        data, conversation, channel, live = await self.db(work)
        delivered = await self._deliver(self.rasa.hand_back(conversation, number, channel)) if live else True
        return web.json_response({"ticket": data, "delivered": delivered})

    @staticmethod
    async def _deliver(call: Any) -> bool:
        """Runs a Rasa call whose failure must not undo what is stored; reports success."""
        try:
            await call
            return True
        except RasaUnavailable:
            return False


CONSOLE = web.AppKey("console", Console)


def create_app(settings: Settings, database: Database, rasa: RasaClient) -> web.Application:
    app = web.Application(middlewares=[errors, signed_in], client_max_size=MAX_BODY_BYTES)
    console = Console(settings, database, rasa)
    app[CONSOLE] = console

    async def close_rasa(app: web.Application) -> None:
        await rasa.close()

    app.on_cleanup.append(close_rasa)
    app.add_routes([
        web.get("/health", console.health),
        web.get("/login", console.login_page),
        web.get("/", console.queue_page),
        web.get("/tickets/{number}", console.ticket_page),
        web.static("/static", HERE / "static"),
        web.post("/api/login", console.login),
        web.post("/api/logout", console.logout),
        web.get("/api/me", console.me),
        web.post("/api/presence", console.presence),
        web.get("/api/queue", console.queue),
        web.get("/api/agents", console.agents),
        web.get("/api/canned", console.canned),
        web.get("/api/tickets/{number}", console.ticket),
        web.get("/api/tickets/{number}/transcript", console.ticket_transcript),
        web.post("/api/tickets/{number}/claim", console.claim),
        web.post("/api/tickets/{number}/reply", console.reply),
        web.post("/api/tickets/{number}/notes", console.note),
        web.post("/api/tickets/{number}/transfer", console.transfer),
        web.post("/api/tickets/{number}/resolve", console.resolve),
        *widget_routes(settings),
    ])
    return app


