import pytest
from jsonschema import ValidationError

from bot.rasa_patches import apply, resolve_event_type, validate_action_result


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


def test_event_types_resolve_like_rasa():
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    assert resolve_event_type("user") is UserUttered
    assert resolve_event_type("slot") is SlotSet
    assert resolve_event_type("action") is ActionExecuted
    assert resolve_event_type("user") is UserUttered  # from memory the second time


def test_unknown_event_types_behave_like_rasa():
    from rasa.shared.core.events import SlotSet

    assert resolve_event_type("topic") is None
    assert resolve_event_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        resolve_event_type("no_such_event")


def test_events_deserialise_after_apply():
    from rasa.shared.core.events import Event, UserUttered

    apply()
    event = Event.from_parameters({"event": "user", "text": "你好", "parse_data": {"intent": {"name": "greet"}}})
    assert isinstance(event, UserUttered) and event.text == "你好"



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
