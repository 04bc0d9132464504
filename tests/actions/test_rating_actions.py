"""After an agent resolves a ticket: the bot is back and stores a 1–5 rating."""
from __future__ import annotations

import asyncio

import pytest

from bot.actions.rating_actions import ActionHandback, ActionSaveRating, ValidateRatingForm
from bot.actions.ticket_form import SKIPPED
from bot.tickets import store
from tests.conftest import slots_of, uttered
from tests.ticket_factories import make_ticket


def rate(make_tracker, dispatcher, domain, text, requested="rating_score", **slots):
    tracker = make_tracker(text=text, intent="out_of_scope", slots={"requested_slot": requested, **slots},
                           active_loop={"name": "rating_form"})
    return slots_of(asyncio.run(ValidateRatingForm().run(dispatcher, tracker, domain)))


def test_handback_remembers_which_ticket_to_rate(make_tracker, dispatcher):
    tracker = make_tracker(intent="EXTERNAL_handoff_resolved", entities=[{"entity": "ticket_id", "value": "OK-1"}])
    slots = slots_of(ActionHandback().run(dispatcher, tracker, {}))
    assert slots["rating_ticket"] == "OK-1" and uttered(dispatcher) == ["utter_handback"]


@pytest.mark.parametrize(("text", "score"), [("5", "5"), ("4分", "4"), ("五星", "5"), ("一般", "3"), ("非常不满意", "1")])
def test_scores_in_the_ways_people_answer(make_tracker, dispatcher, domain, text, score):
    assert rate(make_tracker, dispatcher, domain, text)["rating_score"] == score


def test_a_non_score_is_asked_again_once_then_given_up(make_tracker, dispatcher, domain):
    first = rate(make_tracker, dispatcher, domain, "你们效率太低了")
    assert first["rating_score"] is None and uttered(dispatcher) == ["utter_rating_invalid"]
    second = rate(make_tracker, dispatcher, domain, "还有别的事", rating_attempts=1.0)
    assert second["rating_score"] == SKIPPED and second["rating_comment"] == SKIPPED


def test_the_comment_is_optional(make_tracker, dispatcher, domain):
    assert rate(make_tracker, dispatcher, domain, "跳过", "rating_comment", rating_score="5")["rating_comment"] == SKIPPED
    said = rate(make_tracker, dispatcher, domain, "客服很耐心", "rating_comment", rating_score="5")
    assert said["rating_comment"] == "客服很耐心"


def test_the_rating_is_stored_on_the_ticket(make_tracker, dispatcher, ticket_db):
    with ticket_db.session() as session:
        number = make_ticket(session, "me").number
    tracker = make_tracker(intent="out_of_scope", sender_id="me",
                           slots={"rating_ticket": number, "rating_score": "4", "rating_comment": "还可以"})
    ActionSaveRating().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_rating_thanks"]
    with ticket_db.session() as session:
        rating = store.ticket_by_number(session, number).rating
        assert (rating.score, rating.comment) == (4, "还可以")


def test_a_skipped_rating_stores_nothing(make_tracker, dispatcher, ticket_db):
    with ticket_db.session() as session:
        number = make_ticket(session, "me").number
    tracker = make_tracker(intent="out_of_scope", sender_id="me",
                           slots={"rating_ticket": number, "rating_score": SKIPPED, "rating_comment": SKIPPED})
    ActionSaveRating().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_rating_skipped"]
    with ticket_db.session() as session:
        assert store.ticket_by_number(session, number).rating is None
