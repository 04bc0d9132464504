"""Routes of the agent console: pages (HTML) and the JSON API they use."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, TypeVar

import jinja2
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.agents.models import AWAY, ONLINE, Agent
from bot.console import access, passwords, security, sessions
from bot.console.access import Rule
from bot.console.live import LiveHub
from bot.console.login_limit import LimiterUnavailable, LoginLimiter, TooManyAttempts
from bot.console.rasa_client import NotDelivered, RasaClient, RasaUnavailable
from bot.console.serialize import agent_json, contacts_visible, masked_transcript, ticket_json
from bot.console.transcript import TicketConversation, ticket_conversation, transcript
from bot.database.database import Database, StoreUnavailable
from bot.database.schema import utcnow
from bot.handoff.service import HandoffService
from bot.privacy import Redaction, redact
from bot.settings import Settings
from bot.stream.feed import EventFeed
from bot.texts import page_json, texts
from bot.tickets import store
from bot.tickets.models import ASSIGNED, OPEN, QUEUES, SENIOR_QUEUE, Ticket

HERE = Path(__file__).resolve().parent
MAX_MESSAGE_CHARS = 2000
MAX_BODY_BYTES = 64 * 1024
PRESENCE_WRITE_INTERVAL = timedelta(seconds=30)
T = TypeVar("T")

#: What the API says when it refuses a request (bot/texts/console.yml, `errors`).
MESSAGES: Dict[str, str] = texts("console")["errors"]


class ApiError(web.HTTPException):
    """A refusal with a code and the agent-facing message for it."""

    def __init__(self, status: int, code: str, headers: Dict[str, str] | None = None):
        self.status_code = status
        super().__init__(
            headers=headers,
            text=json.dumps({"error": code, "message": MESSAGES.get(code, code)}, ensure_ascii=False),
            content_type="application/json",
        )


_STORE_STATUS = {"not_found": 404, "unknown_agent": 404, "already_claimed": 409, "not_allowed": 403, "at_capacity": 409,
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
async def guard(request: web.Request, handler: Callable) -> web.StreamResponse:
    """The route's access rule (bot/console/access.py), checked before its handler runs.

    Pages redirect to /login, API calls answer 401, unless the session is valid;
    then an agent the rule does not let through gets 403 `not_allowed` (a page is
    sent back to the queue). API calls that change something with the session
    cookie must also carry the sign-in's CSRF token (see bot/console/security.py);
    bearer-token clients need not.
    """
    api = request.path.startswith("/api/")
    changes = api and request.method not in ("GET", "HEAD")
    if changes:
        # A cross-site form cannot send JSON without a preflight: a first CSRF guard
        # (sign-in included, so no other site can sign a browser into its account).
        if request.content_type != "application/json":
            raise ApiError(415, "json_required")
    rule = access.rule_of(request)
    if rule is Rule.PUBLIC:
        return await handler(request)
    console = request.app[CONSOLE]
    cookie = request.cookies.get(sessions.COOKIE)
    token = cookie or _bearer(request)
    agent = await console.db(partial(_touch, token=token))
    if agent is None:
        if api:
            raise ApiError(401, "not_signed_in")
        raise web.HTTPFound("/login")
    if changes and cookie and not security.csrf_matches(cookie, request.headers.get(security.CSRF_HEADER)):
        raise ApiError(403, "csrf")
    request["agent"], request["session_token"] = agent, token
    number = await _ticket_number(request) if rule in access.TICKET_RULES else None

    def allowed(session: Session) -> bool:
        ticket = store.ticket_by_number(session, number) if number is not None else None
        return access.allows(rule, session.get(Agent, agent["id"]), ticket)

    if rule is not Rule.AGENT and not await console.db(allowed):
        if api:
            raise ApiError(403, "not_allowed")
        raise web.HTTPFound("/")
    return await handler(request)


async def _ticket_number(request: web.Request) -> str:
    """The ticket a ticket rule is about: the path's `{number}`, else the JSON body's `ticket`."""
    number = request.match_info.get("number")
    if number is None:
        number = (await _json_body(request)).get("ticket")
    if not isinstance(number, str):
        raise ApiError(400, "bad_request")
    return number


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
        json.dumps(body, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800") are not UTF-8
    except (json.JSONDecodeError, UnicodeError, LookupError, RecursionError) as error:
        # Were 500s (found by tests/fuzz): LookupError for an unknown charset in Content-Type,
        # RecursionError for JSON nested too deep, UnicodeEncodeError when hashing or storing a lone surrogate.
        raise ApiError(400, "bad_json") from error
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json")
    return body


async def _message_text(request: web.Request, key: str) -> Redaction:
    """The non-empty, not too long text an agent wrote under `key` of a JSON body, its secrets hidden.

    Replies and notes come through here: a card number, password, code or ID
    number an agent pastes is replaced by the mask (`bot.privacy.redact`, as in
    users' messages) before anything stores or sends it.
    """
    text = str((await _json_body(request)).get(key) or "").strip()
    if not text:
        raise ApiError(400, "empty_message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(413, "message_too_long")
    return redact(text)


class Console:
    """The app's state: settings, the ticket database, the Rasa client, the sign-in throttle."""

    def __init__(self, settings: Settings, database: Database, rasa: RasaClient, login_limiter: LoginLimiter,
                 feed: EventFeed | None = None):
        self.settings, self.database, self.rasa, self.login_limiter = settings, database, rasa, login_limiter
        self.live = LiveHub(self, feed)
        self.handoff = HandoffService(database, rasa, settings.agent_capacity, changed=self.live_ticket_changed)
        self._retries: asyncio.Task | None = None
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True
        )

    async def db(self, work: Callable[..., T]) -> T:
        """Runs `work(session)` in a worker thread (SQLite may wait for its lock)."""

        def run() -> T:
            with self.database.session() as session:
                return work(session)

        return await asyncio.get_running_loop().run_in_executor(None, run)

    async def live_ticket_changed(self, number: str) -> None:
        await self.live.ticket_changed([number])

    async def start_retries(self, _app: web.Application) -> None:
        """Carries out handoff steps left pending while Rasa did not answer (`bot.handoff.service`)."""
        self._retries = asyncio.get_running_loop().create_task(self.handoff.run_retries(), name="handoff-retries")

    async def stop_retries(self, _app: web.Application) -> None:
        if self._retries is not None:
            self._retries.cancel()

    async def signed_in(self, token: str) -> bool:
        """Whether the session of `token` is still valid (a live page asks now and then)."""
        return await self.db(lambda session: sessions.agent_for_token(session, token) is not None)

    async def changed(self, number: str | None = None, queue: bool = True) -> None:
        """Tells the open pages that ticket `number` (and the queue) changed."""
        if number is not None:
            await self.live.ticket_changed([number])
        if queue:
            self.live.tell_everyone("queue")

    def page(self, name: str, **context: Any) -> web.Response:
        # `t`: the markup's words; `texts_json`: the scripts' (both bot/texts/console.yml).
        html = self.templates.get_template(name).render(t=texts("console")["pages"], texts_json=page_json("console"),
                                                        **context)
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
        try:
            attempt = await self.login_limiter.begin(username, security.client_ip(request, self.settings.trusted_proxies))
        except TooManyAttempts as error:
            raise ApiError(429, "too_many_attempts", {"Retry-After": str(error.retry_after)}) from error
        except LimiterUnavailable as error:
            raise ApiError(503, "login_limiter_unavailable") from error

        def sign_in(session: Session) -> tuple[str, Dict[str, Any]] | None:
            agent = sessions.authenticate(session, username, password)
            if agent is None:
                return None
            return sessions.start_session(session, agent, self.settings.console_session_hours), agent_json(agent)

        result = await self.db(sign_in)
        if result is None:
            raise ApiError(401, "bad_credentials")
        await self.login_limiter.succeeded(attempt)
        token, agent = result
        csrf = security.csrf_token(token)
        response = web.json_response({"agent": agent, "token": token, "csrf_token": csrf})
        cookie = dict(samesite="Strict", path="/", secure=self.settings.console_secure_cookies,
                      max_age=int(self.settings.console_session_hours * 3600))
        response.set_cookie(sessions.COOKIE, token, httponly=True, **cookie)
        # Not httponly: the page's script reads it and sends it back in X-CSRF-Token.
        response.set_cookie(security.CSRF_COOKIE, csrf, **cookie)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        token = request.cookies.get(sessions.COOKIE) or _bearer(request)

        def sign_out(session: Session) -> None:
            agent = session.get(Agent, request["agent"]["id"])
            agent.presence = AWAY
            sessions.end_session(session, token or "")

        await self.db(sign_out)
        self.live.signed_out(token or "")
        self.live.tell_everyone("agents")
        response = web.json_response({"ok": True})
        response.del_cookie(sessions.COOKIE, path="/")
        response.del_cookie(security.CSRF_COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"agent": request["agent"],
                                  "csrf_token": security.csrf_token(request["session_token"])})

    async def presence(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        status = body.get("status")
        if status not in (ONLINE, AWAY):
            raise ApiError(400, "bad_request")

        def set_presence(session: Session) -> Dict[str, Any]:
            agent = session.get(Agent, request["agent"]["id"])
            agent.presence, agent.last_seen_at = status, utcnow()
            return agent_json(agent)

        agent = await self.db(set_presence)
        self.live.tell_everyone("agents")
        return web.json_response({"agent": agent})

    # --------------------------------------------------------------- queue API
    async def queue(self, request: web.Request) -> web.Response:
        me = request["agent"]

        def read(session: Session) -> Dict[str, Any]:
            now = utcnow()
            agent = session.get(Agent, me["id"])
            waiting = store.waiting(session, [queue for queue in QUEUES if store.serves(agent, queue)])
            mine = session.execute(
                select(Ticket).where(Ticket.assigned_agent_id == me["id"], Ticket.status == "assigned")
                .order_by(Ticket.claimed_at)
            ).scalars()
            offline = session.execute(
                select(Ticket).where(Ticket.status == OPEN).order_by(Ticket.created_at).limit(100)
            ).scalars()
            return {
                "waiting": [ticket_json(t, now, position=i + 1, viewer=me) for i, t in enumerate(waiting)],
                "mine": [ticket_json(t, now, viewer=me) for t in mine],
                "open": [ticket_json(t, now, viewer=me) for t in offline],
            }

        return web.json_response(await self.db(read))

    async def agents(self, request: web.Request) -> web.Response:
        def read(session: Session) -> List[Dict[str, Any]]:
            return [agent_json(a) for a in session.execute(
                select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)).scalars()]

        return web.json_response({"agents": await self.db(read)})

    async def agent_activity(self, request: web.Request) -> web.Response:
        """Supervisors: every active agent with when the console last saw them and how many conversations they handle."""

        def read(session: Session) -> List[Dict[str, Any]]:
            handling = dict(session.execute(
                select(Ticket.assigned_agent_id, func.count()).where(Ticket.status == ASSIGNED)
                .group_by(Ticket.assigned_agent_id)).all())
            agents = session.execute(
                select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)).scalars()
            return [{**agent_json(a), "last_seen_at": a.last_seen_at.isoformat() if a.last_seen_at else None,
                     "handling": handling.get(a.id, 0)} for a in agents]

        return web.json_response({"agents": await self.db(read)})

    async def canned(self, request: web.Request) -> web.Response:
        return web.json_response({"replies": texts("canned_replies")["replies"]})

    # -------------------------------------------------------------- ticket API
    def _ticket(self, session: Session, number: str) -> Ticket:
        return store.ticket_by_number(session, number)

    def _agent(self, session: Session, request: web.Request) -> Agent:
        return session.get(Agent, request["agent"]["id"])

    async def ticket(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        data = await self.db(lambda s: ticket_json(self._ticket(s, number), utcnow(), full=True, viewer=request["agent"]))
        return web.json_response({"ticket": data})

    async def ticket_transcript(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        try:
            after = int(request.query.get("after", "-1"))
        except ValueError as error:
            raise ApiError(400, "bad_request") from error

        def read(session: Session) -> tuple[TicketConversation, bool]:
            ticket = self._ticket(session, number)
            return ticket_conversation(session, ticket), contacts_visible(ticket, request["agent"])

        conversation, visible = await self.db(read)
        try:
            events = await self.rasa.events(conversation.conversation_id)
        except RasaUnavailable as error:
            raise ApiError(502, "rasa_unavailable") from error
        lines = [line for line in transcript(events, conversation.window(events)) if line["seq"] > after]
        return web.json_response({"messages": lines if visible else masked_transcript(lines)})

    def _view(self, request: web.Request) -> Callable[[Session, Ticket], Dict[str, Any]]:
        """The ticket as the requesting agent sees it (rendered in the handoff service's transaction)."""
        return lambda session, ticket: ticket_json(ticket, utcnow(), full=True, viewer=request["agent"])

    async def claim(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        outcome = await self.handoff.claim(number, request["agent"]["id"], self._view(request))
        await self.changed(number)
        return web.json_response({"ticket": outcome.view, "delivered": outcome.delivered})

    async def reply(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        message = await _message_text(request, "text")
        me = request["agent"]
        who = {"name": me["display_name"], "number": me["agent_number"], "username": me["username"]}
        try:
            await self.handoff.reply(number, me["id"], message.text, who)
        except NotDelivered as error:
            raise ApiError(502, "not_delivered") from error
        except RasaUnavailable as error:
            raise ApiError(502, "rasa_unavailable") from error
        return web.json_response({"ok": True, "redacted": list(message.kinds)})

    async def typing(self, request: web.Request) -> web.Response:
        """The handling agent is writing a reply: the user sees "客服正在输入…" where the channel can show it."""
        number = request.match_info["number"]
        typing = (await _json_body(request)).get("typing", True) is not False

        def check(session: Session) -> str:
            ticket = self._ticket(session, number)
            store.require_handler(ticket, self._agent(session, request))
            return ticket.conversation_id

        conversation = await self.db(check)
        try:
            shown = await self.rasa.agent_typing(conversation, typing)
        except RasaUnavailable:
            shown = False  # only a hint: the reply itself reports a failure
        return web.json_response({"shown": shown})

    async def note(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        note = await _message_text(request, "body")

        def work(session: Session) -> Dict[str, Any]:
            ticket = self._ticket(session, number)
            store.add_note(session, ticket, self._agent(session, request), note.text)
            return ticket_json(ticket, utcnow(), full=True, viewer=request["agent"])

        data = await self.db(work)
        await self.changed(number, queue=False)
        return web.json_response({"ticket": data, "redacted": list(note.kinds)})

    async def transfer(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        body = await _json_body(request)
        to_username, to_queue = body.get("agent"), body.get("queue")
        if not to_username and to_queue != SENIOR_QUEUE and to_queue != "general":
            raise ApiError(400, "bad_request")
        outcome = await self.handoff.transfer(number, request["agent"]["id"], self._view(request),
                                              to_username=str(to_username) if to_username else None, to_queue=to_queue)
        await self.changed(number)
        return web.json_response({"ticket": outcome.view, "delivered": outcome.delivered})

    async def resolve(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        outcome = await self.handoff.resolve(number, request["agent"]["id"], self._view(request))
        await self.changed(number)
        return web.json_response({"ticket": outcome.view, "delivered": outcome.delivered})


CONSOLE = web.AppKey("console", Console)


async def _close_if_body_unread(request: web.Request, response: web.StreamResponse) -> None:
    """Closes the connection after answering a request whose large body was left unread.

    aiohttp 3.9 stops reading a connection once 128 KB of a body are buffered, and never resumes when
    the handler does not read them: the next request on that keep-alive connection got no answer at all
    (found by tests/fuzz). Bodies over MAX_BODY_BYTES are refused unread, so their connection is closed.
    """
    large = request.content_length is None or request.content_length > MAX_BODY_BYTES
    if request.body_exists and large and not request.content.at_eof():
        response.force_close()
        response.headers["Connection"] = "close"


def create_app(
    settings: Settings, database: Database, rasa: RasaClient, login_limiter: LoginLimiter | None = None,
    feed: EventFeed | None = None,
) -> web.Application:
    """The console; `login_limiter` defaults to one from the settings (tests pass one with their own clock).

    `feed` is the event stream Rasa's broker writes (`bot.stream`); without one, open pages hear of the
    console's own changes only.
    """
    from bot.console.insights_routes import open_events_reader  # imports this module's helpers
    from bot.console.operations import QUEUE_LENGTHS, QueueLengths  # imports this module's CONSOLE
    from bot.console.routes import route_table  # its handlers import this module's helpers

    app = web.Application(middlewares=[errors, guard], client_max_size=MAX_BODY_BYTES)
    login_limiter = login_limiter or LoginLimiter.from_settings(settings)
    passwords.dummy_hash()  # made now: the first sign-in with an unknown username must not take longer
    console = Console(settings, database, rasa, login_limiter, feed)
    app[CONSOLE] = console
    app[QUEUE_LENGTHS] = QueueLengths(console)
    app.on_startup.append(console.live.start)
    app.on_startup.append(console.start_retries)
    app.on_shutdown.append(console.stop_retries)
    app.on_shutdown.append(console.live.stop)  # ends the open streams, so the server can stop

    async def close_clients(app: web.Application) -> None:
        await rasa.close()
        await login_limiter.close()

    app.on_cleanup.append(close_clients)
    app.on_response_prepare.append(security.add_security_headers)
    app.on_response_prepare.append(_close_if_body_unread)
    # Each route with who may call it (bot/console/routes.py); `guard` checks it before the handler runs.
    open_events_reader(app, settings)
    access.register(app, route_table(console, settings))
    missing = access.undeclared(app)
    if missing:
        raise RuntimeError(f"console routes without an access rule: {', '.join(missing)}")
    return app


