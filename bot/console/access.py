"""Who may call each console route: one rule declared with the route, checked by one middleware.

Routes are added with `register(app, [*declare(Rule.AGENT, web.get(...)), …])`;
the rule is recorded for every route the definition adds (HEAD included), and
`create_app` refuses to start when a route has none (`undeclared`). The
middleware (`guard` in bot/console/app.py) reads `rule_of(request)` before any
handler runs:

| rule | who passes |
|---|---|
| `public` | anyone: the sign-in, the console's files, health, the widget's demo page |
| `agent` | any signed-in agent |
| `queue` | a signed-in agent who serves the queue of the path's ticket (`store.serves`): claiming |
| `ticket` | a signed-in agent who may read the ticket (`store.may_access`): its fields, notes, history, transcript |
| `supervisor` | supervisors; other agents get 403 (a page sends them back to the queue) |

Routes whose own action needs more (replying only by the agent handling the
conversation …) check that in the store as well; the rule is the least a
caller needs to reach the handler at all.
"""
from __future__ import annotations

import enum
from typing import Dict, Iterable, List, NamedTuple

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRoute

from bot.agents.models import Agent
from bot.tickets import store
from bot.tickets.models import Ticket


class Rule(str, enum.Enum):
    PUBLIC = "public"
    AGENT = "agent"
    QUEUE = "queue"
    TICKET = "ticket"
    SUPERVISOR = "supervisor"


#: Rules about one ticket: the ticket is named by the path's `{number}` (or the JSON body's `ticket`).
TICKET_RULES = (Rule.QUEUE, Rule.TICKET)


class Declared(NamedTuple):
    rule: Rule
    definition: web.AbstractRouteDef


RULES = web.AppKey("access_rules", Dict[AbstractRoute, Rule])


def declare(rule: Rule, *definitions: web.AbstractRouteDef) -> List[Declared]:
    """`definitions` (web.get(…), web.static(…) …), each with `rule`."""
    return [Declared(rule, definition) for definition in definitions]


def register(app: web.Application, declared: Iterable[Declared]) -> None:
    """Adds the routes to `app` and records each one's rule (also for the HEAD routes web.get adds)."""
    rules = app.get(RULES)
    if rules is None:
        rules = app[RULES] = {}
    for rule, definition in declared:
        before = set(app.router.routes())
        definition.register(app.router)
        for route in set(app.router.routes()) - before:
            rules[route] = rule


def undeclared(app: web.Application) -> List[str]:
    """"METHOD /path" of every route of `app` that has no rule."""
    rules = app.get(RULES) or {}
    return sorted(f"{route.method} {route.resource.canonical if route.resource else '?'}"
                  for route in app.router.routes() if route not in rules)


def rule_of(request: web.Request) -> Rule:
    """The rule of the route the request matched; a path or method no route serves needs a signed-in agent
    (so the signed-out learn nothing about which exist)."""
    match = request.match_info
    if match.http_exception is not None:
        return Rule.AGENT
    rule = request.app[RULES].get(match.route)
    if rule is None:  # create_app refuses to start so; a route added behind its back is closed
        raise web.HTTPInternalServerError(text="no access rule for this route")
    return rule


def allows(rule: Rule, agent: Agent, ticket: Ticket | None = None) -> bool:
    """Whether the signed-in `agent` passes `rule` (for ticket rules, on `ticket`)."""
    if rule in (Rule.PUBLIC, Rule.AGENT):
        return True
    if rule is Rule.SUPERVISOR:
        return agent.is_supervisor
    if ticket is None:
        raise ValueError(f"the {rule.value} rule needs a ticket")
    if rule is Rule.QUEUE:
        return store.serves(agent, ticket.queue)
    return store.may_access(ticket, agent)
