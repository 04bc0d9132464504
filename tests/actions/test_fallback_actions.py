from bot.actions.fallback_actions import ActionHandleFallback, likely_topic_buttons
from bot.content.catalog import load_topics
from tests.conftest import action_event, user_event, uttered


def test_buttons_follow_the_classifier_ranking():
    buttons = likely_topic_buttons(["withdraw_not_arrived", "greet", "refund"], load_topics())
    assert [b["payload"] for b in buttons][:2] == ["/withdraw_not_arrived", "/refund"]
    assert len(buttons) == 3
    assert all(b["title"] for b in buttons)


def test_buttons_fall_back_to_the_default_topics():
    topics = load_topics()
    buttons = likely_topic_buttons([], topics)
    assert [b["payload"] for b in buttons] == [f"/{t}" for t in topics.default]


def test_buttons_never_repeat_a_topic():
    buttons = likely_topic_buttons(["payment_failed"], load_topics())
    payloads = [b["payload"] for b in buttons]
    assert len(payloads) == len(set(payloads))


def test_first_miss_asks_to_rephrase_with_likely_topics(make_tracker, dispatcher):
    tracker = make_tracker(
        text="asdf",
        intent="nlu_fallback",
        events=[user_event("你好", "greet"), action_event("utter_greet"), user_event("asdf", "nlu_fallback")],
        intent_ranking=[
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "refund", "confidence": 0.3},
            {"name": "greet", "confidence": 0.1},
        ],
    )
    ActionHandleFallback().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_ask_rephrase"]
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/refund"


def test_second_miss_in_a_row_hands_over_to_a_person(make_tracker, dispatcher):
    tracker = make_tracker(
        text="qwer",
        intent="nlu_fallback",
        events=[
            user_event("asdf", "nlu_fallback"),
            action_event("action_handle_fallback"),
            user_event("qwer", "nlu_fallback"),
        ],
    )
    events = ActionHandleFallback().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_fallback_handoff"]
    assert events == [{"event": "followup", "name": "action_prepare_ticket", "timestamp": None}]


def test_an_understood_message_in_between_resets_the_count(make_tracker, dispatcher):
    tracker = make_tracker(
        text="qwer",
        intent="nlu_fallback",
        events=[
            user_event("asdf", "nlu_fallback"),
            user_event("付款失败", "payment_failed"),
            user_event("qwer", "nlu_fallback"),
        ],
    )
    ActionHandleFallback().run(dispatcher, tracker, {})
    assert uttered(dispatcher) == ["utter_ask_rephrase"]


def test_each_fallback_is_counted_with_how_the_assistant_reacted(make_tracker, dispatcher):
    from tests.metrics_reading import Snapshot

    snapshot = Snapshot()
    first = make_tracker(text="asdf", intent="nlu_fallback", events=[user_event("asdf", "nlu_fallback")])
    ActionHandleFallback().run(dispatcher, first, {})
    second = make_tracker(text="qwer", intent="nlu_fallback", events=[
        user_event("asdf", "nlu_fallback"), action_event("action_handle_fallback"), user_event("qwer", "nlu_fallback")])
    ActionHandleFallback().run(dispatcher, second, {})
    assert snapshot.delta("okpay_fallbacks_total", reaction="rephrase") == 1
    assert snapshot.delta("okpay_fallbacks_total", reaction="handoff") == 1
