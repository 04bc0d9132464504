"""The console's review queue API: messages the assistant was unsure about or got wrong, and their corrections.

| route | who | does |
|---|---|---|
| `GET /api/review?status=pending&from&to&channel` | supervisors | collects the period's messages, then lists them (1) |
| `POST /api/review/flag` `{ticket, seq}` | an agent who may read the ticket | flags the transcript's user message `seq` |
| `POST /api/review/{id}/correct` `{intent, entities, group?}` | supervisors | the right intent (and entities) (2) |
| `POST /api/review/{id}/dismiss` `{group?}` | supervisors | nothing to learn from it |
| `GET /api/review/labels` | supervisors | the intents (with their Chinese `titles`) and entities a correction may use |
| `GET /api/review/export.yml` | supervisors | the corrections as Rasa NLU training data |

(1) identical and near-identical texts as one row, with `count` and `ids`.
(2) for the other `ids` of its row given in `group` too (dismiss as well).

Listed with their access rules in the console's route table (`bot/console/routes.py`).
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Dict, List

from aiohttp import web
from sqlalchemy.orm import Session

from bot.console.app import CONSOLE, ApiError, _json_body
from bot.console.insights_routes import EVENTS
from bot.console.rasa_client import RasaUnavailable
from bot.console.transcript import TicketConversation, ticket_conversation
from bot.content.catalog import intent_title
from bot.insights import review_export, review_queue
from bot.insights.nlu_labels import BadLabel, domain_labels
from bot.insights.period import BadPeriod, Period, today_in
from bot.insights.review_items import REVIEW_STATUSES
from bot.tickets import store

#: Days listed when the request names no period.
DEFAULT_DAYS = 7
ALL = "all"
#: Largest id a database integer holds (larger ones would be a database error, not "no such item").
MAX_ID = 2**31 - 1


def _refusals(handler: Callable) -> Callable:
    """The review module's refusals as the console's JSON errors."""

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except review_queue.ReviewError as error:
            raise ApiError(error.status, error.code) from error
        except BadLabel as error:
            raise ApiError(400, error.code) from error
        except (BadPeriod, OverflowError) as error:  # OverflowError: dates near year 1 or 9999
            raise ApiError(400, "bad_period") from error

    return guarded


def _item_id(request: web.Request) -> int:
    """The item id of the path; anything that cannot be one is an unknown item (not a database error)."""
    try:
        item_id = int(request.match_info["id"])
    except ValueError as error:
        raise ApiError(404, "review_not_found") from error
    if not 0 < item_id <= MAX_ID:
        raise ApiError(404, "review_not_found")
    return item_id


def me(request: web.Request) -> int:
    """The signed-in reviewer's agent id."""
    return request["agent"]["id"]


@_refusals
async def list_items(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    settings = console.settings
    period = Period.from_query(dict(request.query), settings.service_timezone,
                               today_in(settings.service_timezone), DEFAULT_DAYS)
    status = request.query.get("status") or review_queue.PENDING
    if status not in (*REVIEW_STATUSES, ALL):
        raise ApiError(400, "bad_request")
    try:
        collected: Dict[str, int] | None = await console.db(lambda session: review_queue.collect(
            request.app[EVENTS].engine, session, period, settings.review_confidence_threshold))
    except review_queue.ConversationsUnavailable:
        collected = None  # what was collected before can still be reviewed

    def read(session: Session) -> List[Dict[str, Any]]:
        found = review_queue.items(session, period, None if status == ALL else status)
        names = review_queue.agent_names(session, found)
        return [review_queue.group_json(group, names) for group in review_queue.group_items(found)]

    return web.json_response({
        "items": await console.db(read), "collected": collected, "conversations_unavailable": collected is None,
        "from": period.start.isoformat(), "to": period.end.isoformat(), "channel": period.channel,
        **period.days(settings.service_timezone),
    })


@_refusals
async def flag(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    body = await _json_body(request)
    number, seq = body.get("ticket"), body.get("seq")
    if not isinstance(number, str) or not isinstance(seq, int) or isinstance(seq, bool):
        raise ApiError(400, "bad_request")

    def conversation_of(session: Session) -> TicketConversation:
        # Readable: the access rule said so.
        return ticket_conversation(session, store.ticket_by_number(session, number))

    conversation = await console.db(conversation_of)
    try:
        events = await console.rasa.events(conversation.conversation_id)
    except RasaUnavailable as error:
        raise ApiError(502, "rasa_unavailable") from error
    if seq not in conversation.window(events):  # a message of another ticket's conversation
        raise ApiError(404, "message_not_found")
    message = review_queue.user_message_at(events, seq, conversation.conversation_id)

    def work(session: Session) -> Dict[str, Any]:
        item = review_queue.flag(session, message, me(request))
        return {"id": item.id, "status": item.status, "reason": item.reason, "flagged": True}

    return web.json_response({"item": await console.db(work)})


@_refusals
async def correct(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    item_id, body = _item_id(request), await _json_body(request)
    labels = domain_labels()

    def work(session: Session) -> Dict[str, Any]:
        first = review_queue.review_item(session, item_id)

        def decide(one: int) -> Any:
            # The reviewer's entities are spans of this text; a near-identical one keeps the NLU's.
            item = review_queue.review_item(session, one)
            entities = body.get("entities") if item.text == first.text else list(item.entities or [])
            return review_queue.correct(session, one, body.get("intent"), entities, me(request), labels)

        done = review_queue.apply_to_group(item_id, body.get("group"), decide)
        return review_queue.group_json(done, review_queue.agent_names(session, done))

    return web.json_response({"item": await console.db(work)})


@_refusals
async def dismiss(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    item_id = _item_id(request)
    body = await _json_body(request) if request.can_read_body else {}

    def work(session: Session) -> Dict[str, Any]:
        done = review_queue.apply_to_group(item_id, body.get("group"),
                                           lambda one: review_queue.dismiss(session, one, me(request)))
        return review_queue.group_json(done, review_queue.agent_names(session, done))

    return web.json_response({"item": await console.db(work)})


async def labels(request: web.Request) -> web.Response:
    """What a correction may use: the domain's intents (FAQ topics as faq/<topic>) and entities."""
    known = domain_labels()
    titles = {name: intent_title(name) or name for name in known.intents}
    return web.json_response({"intents": sorted(known.intents), "titles": titles,
                              "entities": sorted(known.entities)})


@_refusals
async def export(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    def work(session: Session) -> review_export.Export:
        training, held_out = review_export.known_texts(leave_out=review_export.DEFAULT_OUT)
        return review_export.build_export(review_queue.corrected_items(session), training, held_out,
                                          tests=review_export.bigrams_of_test_set())

    result = await console.db(work)
    return web.Response(
        text=result.yaml_text, content_type="application/x-yaml", charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{review_export.DEFAULT_OUT.name}"',
                 "X-Review-Examples": str(len(result.examples)),
                 "X-Review-Left-Out": str(len(result.left_out))})
