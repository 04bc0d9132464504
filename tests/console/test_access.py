"""Who may call which route: every route declares a rule, the guard refuses whoever it does not let through,
and an agent reads only the tickets they may (not another agent's conversation, its notes or its history)."""
from __future__ import annotations

import re
from typing import Dict, List, Tuple

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.agents.models import SUPERVISOR
from bot.console import access
from bot.console.access import Rule
from bot.console.app import create_app
from bot.tickets import store
from bot.tickets.models import SENIOR_QUEUE, Ticket, TicketEvent
from tests.console.conftest import FakeRasa, run, sign_in
from tests.ticket_factories import make_agent, make_ticket

SECRET_NOTE = "内部备注：用户曾威胁投诉，先核实身份"
#: Routes anyone may call: a new public route must be added here on purpose.
PUBLIC = {("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics"), ("GET", "/login"), ("GET", "/static"),
          ("POST", "/api/login"), ("GET", "/widget"), ("GET", "/widget/static"), ("GET", "/widget/static/okpay-widget.js")}
#: A body each POST route accepts (a refusal must come before it is read).
BODIES = {"/api/presence": {"status": "online"}, "/api/tickets/{number}/notes": {"body": "看看"},
          "/api/tickets/{number}/reply": {"text": "您好"}, "/api/tickets/{number}/transfer": {"queue": "senior"},
          "/api/review/{id}/correct": {"intent": "greet", "entities": []}}


@pytest.fixture
def world(console_db):
    """li holds a conversation with a note on it; one waits in the senior queue; wang and chen (senior) never had
    either; boss supervises."""
    with console_db.session() as session:
        li = make_agent(session, "li")
        make_agent(session, "wang"), make_agent(session, "chen", senior=True)
        make_agent(session, "boss", role=SUPERVISOR)
        held = make_ticket(session, "user-held", queued=True, description="提现没到账")
        store.claim(session, held.id, li, capacity=3)
        store.add_note(session, held, li, SECRET_NOTE)
        senior = make_ticket(session, "user-senior", queued=True, queue=SENIOR_QUEUE)
        return {"held": held.number, "senior": senior.number}


def routes(app: web.Application) -> List[Tuple[str, str, Rule]]:
    """(method, path, rule) of every route but HEAD (the GET's twin)."""
    rules = app[access.RULES]
    return sorted({(route.method, route.resource.canonical, rules[route]) for route in app.router.routes()
                   if route.method != "HEAD"})


def concrete(path: str, world: Dict[str, str], rule: Rule) -> str:
    """The path with its parameters filled: a ticket the rule is about, review item 1, the tickets CSV."""
    number = world["senior"] if rule is Rule.QUEUE else world["held"]
    values = {"number": number, "id": "1", "kind": "tickets", "format": "csv"}
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def body_of(path: str, world: Dict[str, str]) -> Dict[str, object]:
    return {"ticket": world["held"], "seq": 0} if path == "/api/review/flag" else BODIES.get(path, {})


def state(database) -> Tuple[int, int, tuple]:
    with database.session() as session:
        return (session.execute(select(func.count()).select_from(TicketEvent)).scalar_one(),
                session.execute(select(func.count()).select_from(Ticket)).scalar_one(),
                tuple(session.execute(select(Ticket.status, Ticket.queue, Ticket.assigned_agent_id)
                                      .order_by(Ticket.id)).all()))


# ----------------------------------------------------------------------- the route table
def test_every_route_of_the_app_declares_a_rule_and_only_the_expected_ones_are_public(console_settings, console_db):
    app = create_app(console_settings, console_db, FakeRasa())
    assert access.undeclared(app) == []
    table = routes(app)
    assert len(table) > 25
    assert {(method, path) for method, path, rule in table if rule is Rule.PUBLIC} == PUBLIC
    ticket_routes = {(method, path): rule for method, path, rule in table if "{number}" in path}
    assert ticket_routes.pop(("GET", "/tickets/{number}")) is Rule.AGENT  # the page: its data comes from the API
    assert ticket_routes.pop(("POST", "/api/tickets/{number}/claim")) is Rule.QUEUE
    assert set(ticket_routes.values()) == {Rule.TICKET}
    assert {path for method, path, rule in table if rule is Rule.SUPERVISOR} >= {
        "/api/agents/activity", "/api/insights", "/api/insights/export/{kind}.{format}", "/api/review",
        "/api/review/export.yml", "/insights", "/review"}


async def _everything(request: web.Request) -> web.Response:
    return web.json_response({"tickets": "everything"})


def test_create_app_refuses_to_start_with_a_route_without_a_rule(console_settings, console_db, monkeypatch):
    import bot.console.insights_routes as insights_routes

    opened = insights_routes.open_events_reader

    def also_a_bare_route(app, settings):  # a module adding a route behind the table's back
        app.router.add_get("/api/sneaky", _everything)
        return opened(app, settings)

    monkeypatch.setattr(insights_routes, "open_events_reader", also_a_bare_route)
    with pytest.raises(RuntimeError, match="GET /api/sneaky, HEAD /api/sneaky"):
        create_app(console_settings, console_db, FakeRasa())


def test_a_route_added_after_the_start_without_a_rule_is_closed(console_settings, console_db, world, monkeypatch):
    import tests.console.conftest as conftest

    def with_a_later_route(*args):
        app = create_app(*args)
        app.router.add_get("/api/sneaky", _everything)
        assert access.undeclared(app) == ["GET /api/sneaky", "HEAD /api/sneaky"]
        return app

    async def scenario(client, rasa):
        await sign_in(client, "boss")
        assert (await client.get("/api/sneaky")).status == 500  # closed, even to a supervisor

    monkeypatch.setattr(conftest, "create_app", with_a_later_route)
    run(console_settings, console_db, scenario)


# ------------------------------------------------------------------------- the guard
def test_every_protected_route_refuses_the_signed_out_and_agents_the_rule_does_not_let_through(
        console_settings, console_db, world):
    table = routes(create_app(console_settings, console_db, FakeRasa()))
    protected = [(method, path, rule) for method, path, rule in table if rule is not Rule.PUBLIC]
    #: Who the rule does not let through, and who it does (a GET by them is not refused).
    outsider = {Rule.QUEUE: "li", Rule.TICKET: "wang", Rule.SUPERVISOR: "li"}
    insider = {Rule.AGENT: "wang", Rule.QUEUE: "chen", Rule.TICKET: "li", Rule.SUPERVISOR: "boss"}
    before = state(console_db)

    async def call(client, method, path, rule, raw=False):
        url = concrete(path, world, rule)
        if method == "GET":
            return await client.get(url, allow_redirects=False)
        post = client.raw.post if raw else client.post
        return await post(url, json=body_of(path, world), allow_redirects=False)

    async def scenario(client, rasa):
        for method, path, rule in protected:
            response = await call(client, method, path, rule)
            if path.startswith("/api/"):
                assert response.status == 401, (method, path)
                assert (await response.json())["error"] == "not_signed_in"
            else:
                assert (response.status, response.headers.get("Location")) == (302, "/login"), path
        for username in sorted(set(outsider.values())):
            client.session.cookie_jar.clear()
            await sign_in(client, username)
            for method, path, rule in protected:
                if outsider.get(rule) != username:
                    continue
                response = await call(client, method, path, rule)
                if path.startswith("/api/"):
                    assert response.status == 403, (username, method, path, await response.text())
                    body = await response.json()
                    assert body["error"] == "not_allowed" and SECRET_NOTE not in str(body)
                else:
                    assert (response.status, response.headers.get("Location")) == (302, "/"), path
        assert state(console_db) == before and rasa.calls == []  # nothing refused changed anything
        for username in sorted(set(insider.values())):
            client.session.cookie_jar.clear()
            await sign_in(client, username)
            for method, path, rule in protected:
                if insider[rule] == username and method == "GET":
                    response = await call(client, method, path, rule)
                    assert response.status not in (302, 401, 403), (username, path, response.status)

    run(console_settings, console_db, scenario)


# ---------------------------------------------------------------------- ticket access
def test_an_agent_cannot_read_another_agents_ticket_its_notes_or_history(console_settings, console_db, world):
    number = world["held"]

    async def read(client, username):
        client.session.cookie_jar.clear()
        await sign_in(client, username)
        return await client.get(f"/api/tickets/{number}")

    async def scenario(client, rasa):
        for outsider in ("wang", "chen"):  # chen is senior, but it is not his conversation
            refused = await read(client, outsider)
            text = await refused.text()
            assert refused.status == 403 and SECRET_NOTE not in text and "user-held" not in text, outsider
        for allowed in ("li", "boss"):
            ticket = (await (await read(client, allowed)).json())["ticket"]
            assert [note["body"] for note in ticket["notes"]] == [SECRET_NOTE], allowed
            assert ticket["history"] and ticket["description"] == "提现没到账"
        # li passes the conversation to wang: both may read it now (li handled it), chen still not.
        await read(client, "li")
        assert (await client.post(f"/api/tickets/{number}/transfer", json={"agent": "wang"})).status == 200
        assert (await client.get(f"/api/tickets/{number}")).status == 200
        assert (await read(client, "wang")).status == 200
        assert (await read(client, "chen")).status == 403

    run(console_settings, console_db, scenario)


def test_who_may_read_which_ticket(console_db):
    with console_db.session() as session:
        li, wang = make_agent(session, "li"), make_agent(session, "wang")
        chen, boss = make_agent(session, "chen", senior=True), make_agent(session, "boss", role=SUPERVISOR)
        tickets = {
            "waiting": make_ticket(session, "u1", queued=True),
            "senior_waiting": make_ticket(session, "u2", queued=True, queue=SENIOR_QUEUE),
            "offline": make_ticket(session, "u3"),
            "held": make_ticket(session, "u4", queued=True),
            "resolved": make_ticket(session, "u5", queued=True),
            "passed_on": make_ticket(session, "u6", queued=True),
            "requeued_then_cancelled": make_ticket(session, "u7", queued=True),
        }
        store.claim(session, tickets["held"].id, li, 9)
        store.claim(session, tickets["resolved"].id, li, 9)
        store.resolve(session, tickets["resolved"], li)
        store.claim(session, tickets["passed_on"].id, li, 9)
        store.transfer(session, tickets["passed_on"], li, to_agent=wang)
        store.claim(session, tickets["requeued_then_cancelled"].id, li, 9)
        store.transfer(session, tickets["requeued_then_cancelled"], li, to_queue="general")
        store.cancel_waiting(session, "u7")
        agents = {"li": li, "wang": wang, "chen": chen, "boss": boss}
        allowed = {(who, name) for who, agent in agents.items() for name, ticket in tickets.items()
                   if store.may_access(ticket, agent)}
    everyone = {(who, name) for who in agents for name in ("waiting", "offline")}
    li_handled = {("li", name) for name in ("held", "resolved", "passed_on", "requeued_then_cancelled")}
    assert allowed == everyone | li_handled | {(who, "senior_waiting") for who in ("chen", "boss")} | {
        ("wang", "passed_on")} | {("boss", name) for name in tickets}
