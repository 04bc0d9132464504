import pytest
from jsonschema import ValidationError

from bot.rasa_patches import apply, validate_action_result


def test_a_valid_action_response_passes():
    result = {"events": [{"event": "slot", "name": "guide", "value": "refund"}], "responses": [{"response": "utter_x"}]}
    assert validate_action_result(result) is True


def test_an_invalid_action_response_is_refused_with_rasas_message():
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate_action_result({"events": [{"event": "no_such_event"}]})
    with pytest.raises(ValidationError):
        validate_action_result({"responses": "not a list"})


def test_apply_replaces_rasas_validation():
    from rasa.core.actions.action import RemoteAction

    apply()
    action = RemoteAction("action_x", None)
    assert action._validate_action_result({"events": []}) is True
    with pytest.raises(ValidationError):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})


class _PausedTracker:
    def __init__(self, paused: bool, intent: str | None):
        self._paused = paused
        self.latest_message = None if intent is None else type("Msg", (), {"intent": {"name": intent}})()

    def is_paused(self) -> bool:
        return self._paused


def test_a_paused_conversation_answers_only_cancel_and_restart():
    from bot.rasa_patches import should_handle_message

    assert should_handle_message(_PausedTracker(False, "greet"))
    assert should_handle_message(_PausedTracker(True, "cancel"))
    assert should_handle_message(_PausedTracker(True, "restart"))
    assert not should_handle_message(_PausedTracker(True, "greet"))
    assert not should_handle_message(_PausedTracker(True, None))


def _long_conversation(turns: int):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.slots import TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("u1", [TextSlot("guide", mappings=[])])
    tracker.update(ActionExecuted("action_listen"))
    for turn in range(turns):
        tracker.update(UserUttered(f"第{turn}句", intent={"name": "payment_failed", "confidence": 0.9},
                                   parse_data={"intent": {"name": "payment_failed", "confidence": 0.9},
                                               "intent_ranking": [{"name": "payment_failed", "confidence": 0.9}],
                                               "entities": [], "text": f"第{turn}句"}))
        tracker.update(SlotSet("guide", f"步骤{turn}"))
        tracker.update(BotUttered(f"答{turn}", metadata={"utter_action": "utter_x"}))
        tracker.update(ActionExecuted("action_listen"))
    return tracker


def test_the_action_server_gets_the_latest_user_messages_events_and_the_whole_state():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import EventVerbosity
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_patches import ACTION_HISTORY_USER_MESSAGES

    apply()
    tracker = _long_conversation(40)
    sent = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))._action_call_format(tracker, Domain.empty())
    full = tracker.current_state(EventVerbosity.ALL)
    events = sent["tracker"].pop("events")
    assert {key: value for key, value in full.items() if key != "events"} == sent["tracker"]
    assert sent["tracker"]["slots"]["guide"] == "步骤39"
    recent = full["events"][-len(events):]
    assert [e["event"] for e in events] == [e["event"] for e in recent]
    users = [(ours, theirs) for ours, theirs in zip(events, recent, strict=True) if ours["event"] == "user"]
    assert users[-1][0] == users[-1][1]  # the latest message whole
    for ours, theirs in users[:-1]:  # the earlier ones with their intent and entities, without the rankings
        assert ours["parse_data"] == {key: theirs["parse_data"][key] for key in ("intent", "entities", "text")}
        assert "intent_ranking" in theirs["parse_data"]
    assert [e for e in events if e["event"] != "user"] == [e for e in recent if e["event"] != "user"]
    assert [e["text"] for e in events if e["event"] == "user"] == [f"第{n}句" for n in range(30, 40)]
    assert len([e for e in events if e["event"] == "user"]) == ACTION_HISTORY_USER_MESSAGES
    short = _long_conversation(3)
    sent = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))._action_call_format(short, Domain.empty())
    every = short.current_state(EventVerbosity.ALL)["events"]
    assert [e["event"] for e in sent["tracker"]["events"]] == [e["event"] for e in every]  # all of them
    assert sent["tracker"]["events"][-4] == every[-4]  # the latest user message whole


def test_the_actions_read_no_further_back_than_the_action_server_sees():
    """The readings our actions make of the events give the same answers on the recent events as on all."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk import Tracker

    from bot.actions.ticket_context import _user_texts
    from bot.actions.tracker_reading import fallback_streak, last_bot_action_before_user, last_bot_response

    apply()
    tracker = _long_conversation(40)
    full = [event.as_dict() for event in tracker.events]
    recent = RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1"))._action_call_format(
        tracker, Domain.empty())["tracker"]["events"]
    for reading in (fallback_streak, last_bot_action_before_user, last_bot_response):
        assert reading(recent) == reading(full)
    as_sdk = lambda events: Tracker("u1", {}, {}, events, False, None, {}, "action_listen")  # noqa: E731
    assert _user_texts(as_sdk(recent))[-3:] == _user_texts(as_sdk(full))[-3:]


def test_the_intent_of_every_parsed_message_is_counted_and_unknown_ones_as_other():
    """Through Rasa's own processor (no model): `log_message` counts the intent the NLU gave the message."""
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from tests.metrics_reading import Snapshot
    from tests.privacy.test_rasa_integration import ListeningProcessor, _domain

    class IntentIsTheText:
        """An NLU that reads each message's text as its intent (a user typing `/made_up` gets just that)."""

        async def parse(self, message: UserMessage):
            return {"text": message.text, "intent": {"name": message.text, "confidence": 1.0}, "entities": [],
                    "intent_ranking": []}

    apply()
    processor = ListeningProcessor(_domain())
    processor.http_interpreter = IntentIsTheText()
    snapshot = Snapshot()
    for text in ("greet", "human_handoff", "greet", "made_up_by_someone"):
        asyncio.run(processor.handle_message(UserMessage(text, CollectingOutputChannel(), "u-intents")))
    assert snapshot.delta("okpay_intents_total", intent="greet") == 2
    assert snapshot.delta("okpay_intents_total", intent="human_handoff") == 1
    assert snapshot.delta("okpay_intents_total", intent="other") == 1
    assert snapshot.delta("okpay_intents_total", intent="made_up_by_someone") == 0
