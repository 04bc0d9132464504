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
