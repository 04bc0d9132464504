from bot.actions.tracker_reading import (
    fallback_streak,
    last_bot_action_before_user,
    latest_text,
    ranked_intents,
)
from tests.conftest import action_event, user_event


def test_last_bot_action_before_the_latest_user_message():
    events = [
        user_event("a", "greet"), action_event("utter_greet"), action_event("action_listen"),
        user_event("b", "deny"),
    ]
    assert last_bot_action_before_user(events) == "utter_greet"


def test_last_bot_action_is_none_at_the_start():
    assert last_bot_action_before_user([user_event("a", "greet")]) is None
    assert last_bot_action_before_user([]) is None


def test_fallback_streak_counts_trailing_misses_only():
    events = [user_event("a", "nlu_fallback"), user_event("b", "greet"), user_event("c", "nlu_fallback")]
    assert fallback_streak(events) == 1
    assert fallback_streak(events + [user_event("d", "nlu_fallback")]) == 2
    assert fallback_streak([]) == 0


def test_latest_text_is_normalised(make_tracker):
    assert latest_text(make_tracker(text="網絡沒問題", intent="already_tried")) == "网络没问题"


def test_ranked_intents_drop_the_fallback(make_tracker):
    tracker = make_tracker(
        text="x", intent="nlu_fallback",
        intent_ranking=[{"name": "nlu_fallback"}, {"name": "refund"}, {"name": "greet"}],
    )
    assert ranked_intents(tracker) == ["refund", "greet"]
