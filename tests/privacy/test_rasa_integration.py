"""Secrets never reach Rasa's NLU, tracker store or logs, and the user is warned, paused or not.

Rasa's own `MessageProcessor` runs here without a trained model: its NLU is
a stand-in (`http_interpreter`) and its policy is replaced by "listen".
"""
from __future__ import annotations

import asyncio
import json
import logging
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, UserUttered
from rasa.shared.data import TrainingType

from bot.privacy import MASK, SECRET_WARNING_RESPONSE
from bot.privacy.user_messages import REDACTED_KEY, redact_user_message
from bot.rasa_patches import apply
from tests.conftest import ROOT

CARD = "6222021234567890128"


@pytest.fixture(autouse=True, scope="module")
def patched():
    apply()


# ----------------------------------------------------------------- UserMessage
def hidden(*args: Any, **kwargs: Any) -> UserMessage:
    """A `UserMessage` as a channel (or the patched processor) hands it on: its secrets hidden."""
    message = UserMessage(*args, **kwargs)
    redact_user_message(message)
    return message


def test_a_user_message_is_redacted_when_it_is_built():
    message = hidden(f"  我的卡号是{CARD}，密码是abc123  ", sender_id="u1", input_channel="widget")
    assert message.text == f"我的卡号是{MASK}，密码是{MASK}"
    assert message.metadata == {REDACTED_KEY: ["bank_card", "password"]}


def test_the_channels_metadata_is_kept_and_not_changed_in_place():
    metadata = {"message_kind": "text", "locale": "zh"}
    message = hidden("验证码 123456", metadata=metadata)
    assert message.metadata == {"message_kind": "text", "locale": "zh", REDACTED_KEY: ["verification_code"]}
    assert metadata == {"message_kind": "text", "locale": "zh"}


def test_given_parse_data_gets_the_masked_text_too():
    parse_data = {"text": "密码是abc123", "intent": {"name": "greet", "confidence": 1.0}, "entities": []}
    message = hidden("密码是abc123", parse_data=parse_data)
    assert message.parse_data["text"] == f"密码是{MASK}"
    assert parse_data["text"] == "密码是abc123"


@pytest.mark.parametrize("text", ["/affirm", "/EXTERNAL_unsupported_message", "/faq/fees", "/human_handoff@0.9",
                                  "你好", "我忘记密码了", "", None])
def test_commands_empty_texts_and_ordinary_messages_are_untouched(text):
    metadata = {"message_kind": "image"}
    message = hidden(text, metadata=metadata)
    assert message.text == (text.strip() if text else text)
    assert message.metadata is metadata


def test_a_command_with_a_secret_after_it_is_redacted():
    message = hidden(f"/inform 卡号{CARD}")
    assert message.text == f"/inform 卡号{MASK}"


def test_secrets_in_the_metadata_are_hidden_at_any_depth_and_listed_after_the_texts():
    metadata = {"message_kind": "text", "form": {"fields": [{"name": "card", "value": f"卡号 {CARD}"}]},
                "note": "验证码 482913"}
    message = hidden("密码是abc123", metadata=metadata)
    assert message.text == f"密码是{MASK}"
    assert message.metadata == {
        "message_kind": "text", "form": {"fields": [{"name": "card", "value": f"卡号 {MASK}"}]},
        "note": f"验证码 {MASK}", REDACTED_KEY: ["password", "bank_card", "verification_code"],
    }
    assert metadata["form"]["fields"][0]["value"] == f"卡号 {CARD}"  # the caller's metadata is not changed


@pytest.mark.parametrize("text", ["/affirm", "你好", "", None])
def test_the_metadata_of_commands_and_ordinary_messages_is_redacted_too(text):
    message = hidden(text, metadata={"typed": f"我的卡 {CARD}"})
    assert message.text == text
    assert message.metadata == {"typed": f"我的卡 {MASK}", REDACTED_KEY: ["bank_card"]}


def test_apply_twice_wraps_once():
    apply()
    first = MessageProcessor.log_message
    apply()
    assert MessageProcessor.log_message is first
    assert first.__wrapped__.__module__ == "rasa.core.processor"


def test_hiding_twice_changes_nothing():
    message = hidden(f"卡号{CARD}", metadata={"note": "验证码 482913"})
    text, metadata = message.text, dict(message.metadata)
    redact_user_message(message)
    assert (message.text, message.metadata) == (text, metadata)


def test_redact_user_message_works_on_any_message_like_object():
    message = SimpleNamespace(text=f"卡 {CARD}", metadata=None, parse_data=None, sender_id="x")
    redact_user_message(message)
    assert message.text == f"卡 {MASK}" and message.metadata == {REDACTED_KEY: ["bank_card"]}


# ------------------------------------------------------------- the processor
def _domain() -> Domain:
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return Domain.from_dict({
        "intents": ["greet", "human_handoff"],
        "responses": {SECRET_WARNING_RESPONSE: responses[SECRET_WARNING_RESPONSE]},
    })


class FakeNLU:
    """Stands in for the model's NLU: remembers what it was asked to read."""

    def __init__(self) -> None:
        self.read: List[str] = []

    async def parse(self, message: UserMessage) -> Dict[str, Any]:
        self.read.append(message.text)
        return {"text": message.text, "intent": {"name": "greet", "confidence": 1.0}, "entities": [],
                "intent_ranking": []}


class ListeningProcessor(MessageProcessor):
    """Rasa's processor without a model: the policy always says listen; what it saw is kept."""

    def __init__(self, domain: Domain) -> None:  # not super().__init__: there is no model to load
        self.domain = domain
        self.nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        self.tracker_store = InMemoryTrackerStore(domain)
        self.lock_store = InMemoryLockStore()
        self.max_number_of_predictions = 10
        self.on_circuit_break = None
        self.action_endpoint = None
        self.model_metadata = SimpleNamespace(training_type=TrainingType.BOTH, model_id="test", assistant_id="test")
        self.graph_runner = None
        self.http_interpreter = FakeNLU()
        self.predicted_after: List[List[str]] = []

    def predict_next_with_tracker_if_should(self, tracker):
        self.predicted_after.append([type(event).__name__ for event in tracker.events])
        return self._get_action(ACTION_LISTEN_NAME), PolicyPrediction.for_action_name(self.domain, ACTION_LISTEN_NAME)


def _handle(processor: ListeningProcessor, text: str, sender: str = "u1",
            metadata: Dict[str, Any] | None = None) -> CollectingOutputChannel:
    output = CollectingOutputChannel()
    asyncio.run(processor.handle_message(UserMessage(text, output, sender, input_channel="rest", metadata=metadata)))
    return output


def _stored(processor: ListeningProcessor, sender: str = "u1"):
    return asyncio.run(processor.tracker_store.retrieve(sender))


def test_the_stored_message_is_masked_and_the_warning_comes_before_the_prediction():
    processor = ListeningProcessor(_domain())
    output = _handle(processor, f"付款失败，卡号 {CARD}")
    tracker = _stored(processor)
    user = tracker.get_last_event_for(UserUttered)
    assert user.text == f"付款失败，卡号 {MASK}"
    assert user.parse_data["text"] == f"付款失败，卡号 {MASK}"
    assert user.metadata[REDACTED_KEY] == ["bank_card"]
    assert processor.http_interpreter.read == [f"付款失败，卡号 {MASK}"]
    # The warning was sent and stored right after the message, before the policy was asked anything.
    assert [m["text"] for m in output.messages] == [processor.domain.responses[SECRET_WARNING_RESPONSE][0]["text"]]
    assert processor.predicted_after[0][-2:] == ["UserUttered", "BotUttered"]
    after_user = list(tracker.events)[list(tracker.events).index(user) + 1:]
    assert isinstance(after_user[0], BotUttered) and after_user[0].metadata["utter_action"] == SECRET_WARNING_RESPONSE
    assert not any(isinstance(e, ActionExecuted) and e.action_name == SECRET_WARNING_RESPONSE for e in tracker.events)
    assert CARD not in json.dumps([e.as_dict() for e in tracker.events], ensure_ascii=False)


def test_the_previous_action_the_rules_see_is_still_action_listen():
    processor = ListeningProcessor(_domain())
    _handle(processor, "你好")
    _handle(processor, "密码是abc123")
    tracker = _stored(processor)
    assert tracker.latest_action_name == ACTION_LISTEN_NAME
    states = tracker.past_states(processor.domain)
    assert states[-1]["prev_action"] == {"action_name": ACTION_LISTEN_NAME}


def test_a_paused_conversation_still_warns_the_user():
    processor = ListeningProcessor(_domain())
    _handle(processor, "你好")
    tracker = _stored(processor)
    tracker.update(ConversationPaused())
    asyncio.run(processor.tracker_store.save(tracker))

    output = _handle(processor, "验证码 482913")
    tracker = _stored(processor)
    assert tracker.is_paused()
    assert len(output.messages) == 1 and "验证码" in output.messages[0]["text"]
    assert tracker.events[-2].text == f"验证码 {MASK}" and isinstance(tracker.events[-1], BotUttered)
    assert len(processor.predicted_after) == 1  # only the first turn: the paused one predicted nothing


def test_no_secret_no_warning():
    processor = ListeningProcessor(_domain())
    output = _handle(processor, "我忘记密码了")
    assert output.messages == []
    assert not any(isinstance(e, BotUttered) for e in _stored(processor).events)


def test_without_the_response_in_the_domain_the_turn_goes_on(caplog):
    processor = ListeningProcessor(Domain.from_dict({"intents": ["greet"]}))
    with caplog.at_level(logging.WARNING, logger="bot.rasa_patches"):
        output = _handle(processor, "密码是abc123")
    assert output.messages == [] and processor.predicted_after
    assert "utter_secret_warning" in caplog.text


def test_neither_rasa_nor_the_patch_logs_the_secret(caplog):
    processor = ListeningProcessor(_domain())
    with caplog.at_level(logging.DEBUG):
        _handle(processor, f"卡号 {CARD} 密码是Abc@123 验证码 482913")
    assert "bank_card, password, verification_code" in caplog.text
    for secret in (CARD, "Abc@123", "482913"):
        assert secret not in caplog.text


def test_secrets_in_the_metadata_never_reach_the_tracker_store_and_the_user_is_warned():
    processor = ListeningProcessor(_domain())
    output = _handle(processor, "你好", metadata={"form": {"card": f"卡号 {CARD}", "cvv": "CVV 123"}})
    tracker = _stored(processor)
    stored = json.dumps([e.as_dict() for e in tracker.events], ensure_ascii=False)
    assert "session_started_metadata" in stored  # Rasa keeps the first message's metadata in a slot too
    assert CARD not in stored and "CVV 123" not in stored
    user = tracker.get_last_event_for(UserUttered)
    assert user.text == "你好" and user.metadata["form"] == {"card": f"卡号 {MASK}", "cvv": f"CVV {MASK}"}
    assert user.metadata[REDACTED_KEY] == ["bank_card", "card_security_code"]
    assert len(output.messages) == 1  # the warning


def test_ids_our_channels_set_are_never_masked():
    """A WeChat MsgId may be digits that pass the Luhn check: masked, two messages would share one id."""
    luhn_valid = "4111111111111111"
    message = UserMessage("你好", sender_id="wechat:o1", metadata={
        "request_id": f"wechat:o1:{luhn_valid}", "redelivery": False, "note": f"卡号 {luhn_valid}"})
    redact_user_message(message)
    assert message.metadata["request_id"] == f"wechat:o1:{luhn_valid}"
    assert luhn_valid not in message.metadata["note"] and message.metadata["okpay_redacted"] == ["bank_card"]
