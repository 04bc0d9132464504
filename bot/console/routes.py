"""Every route of the agent console, with who may call it: the one table (`bot/console/access.py` checks it).

| rule | who |
|---|---|
| public | anyone (sign-in page, static files, the widget's demo page and scripts, probes, `/metrics`: counts only) |
| agent | any signed-in agent |
| queue | an agent serving the ticket's queue (senior queue: senior agents and supervisors) |
| ticket | an agent who may read the ticket (`store.may_access`); acting on the conversation also needs its handler |
| supervisor | supervisors |

The console refuses to start with a route that is not in this table.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List

from aiohttp import web

from bot.console import insights_routes as insights
from bot.console import operations
from bot.console import review_routes as review
from bot.console.access import Declared, Rule, declare
from bot.widget.routes import widget_routes

HERE = Path(__file__).resolve().parent


def route_table(console: Any, settings: Any) -> List[Declared]:
    """The console's routes for `console` (its handlers) and `settings`."""
    return [
        *declare(Rule.PUBLIC,
                 web.get("/health", console.health),
                 web.get("/ready", operations.ready),
                 web.get("/metrics", operations.metrics_page),
                 web.get("/login", console.login_page),
                 web.static("/static", HERE / "static"),
                 web.post("/api/login", console.login),
                 *widget_routes(settings)),
        *declare(Rule.AGENT,
                 web.get("/", console.queue_page),
                 web.get("/tickets/{number}", console.ticket_page),  # the page's data comes from the API
                 web.post("/api/logout", console.logout),
                 web.get("/api/me", console.me),
                 web.post("/api/presence", console.presence),
                 web.get("/api/queue", console.queue),
                 web.get("/api/live", console.live.stream),
                 web.get("/api/agents", console.agents),
                 web.get("/api/canned", console.canned)),
        *declare(Rule.QUEUE,
                 web.post("/api/tickets/{number}/claim", console.claim)),
        *declare(Rule.TICKET,
                 web.get("/api/tickets/{number}", console.ticket),
                 web.get("/api/tickets/{number}/transcript", console.ticket_transcript),
                 web.post("/api/tickets/{number}/notes", console.note),
                 # Acting on the conversation also needs its handler or a supervisor (store.require_handler).
                 web.post("/api/tickets/{number}/reply", console.reply),
                 web.post("/api/tickets/{number}/typing", console.typing),
                 web.post("/api/tickets/{number}/transfer", console.transfer),
                 web.post("/api/tickets/{number}/resolve", console.resolve),
                 web.post("/api/review/flag", review.flag)),  # the ticket named by the body's `ticket`
        *declare(Rule.SUPERVISOR,
                 web.get("/api/agents/activity", console.agent_activity),
                 web.get("/insights", insights.supervisor_page("insights.html")),
                 web.get("/review", insights.supervisor_page("review.html")),
                 web.get("/api/insights", insights.figures),
                 web.get("/api/insights/export/{kind}.{format}", insights.export),
                 web.get("/api/review", review.list_items),
                 web.post("/api/review/{id}/correct", review.correct),
                 web.post("/api/review/{id}/dismiss", review.dismiss),
                 web.get("/api/review/labels", review.labels),
                 web.get("/api/review/export.yml", review.export)),
    ]
