"""The two custom pipeline components, run without training anything."""
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entity_extractor import OKPayEntityExtractor
from bot.nlu.tokenizer import NormalizingJiebaTokenizer


def make_tokenizer(tmp_path):
    config = {**NormalizingJiebaTokenizer.get_default_config(), "dictionary_path": "bot/nlu/dictionary"}
    return NormalizingJiebaTokenizer.create(
        config, LocalModelStorage(tmp_path), Resource("tokenizer"), ExecutionContext(None)
    )


def test_tokenizer_normalises_text_and_drops_blank_tokens(tmp_path):
    message = Message(data={TEXT: "帳戶  被鎖了 ＡＰＰ"})
    make_tokenizer(tmp_path).process([message])
    assert message.get(TEXT) == "账户  被锁了 app"
    tokens = [token.text for token in message.get("text_tokens")]
    assert all(token.strip() for token in tokens)
    assert "app" in tokens


def test_tokenizer_leaves_intents_given_by_name_as_they_are(tmp_path):
    """Rasa matches "/IntentName" case-sensitively after the tokenizer; lower-casing broke EXTERNAL_ intents."""
    for text in ("/EXTERNAL_unsupported_message", '/EXTERNAL_unsupported_message{"kind": "Image"}'):
        message = Message(data={TEXT: text})
        make_tokenizer(tmp_path).process([message])
        assert message.get(TEXT) == text
    typed = Message(data={TEXT: "/ＡＰＰ 帳戶"})
    make_tokenizer(tmp_path).process([typed])
    assert typed.get(TEXT) == "/app 账户"


def test_tokenizer_keeps_domain_words_whole(tmp_path):
    message = Message(data={TEXT: "提现手续费多少，资金记录在哪"})
    make_tokenizer(tmp_path).process([message])
    tokens = [token.text for token in message.get("text_tokens")]
    assert "提现" in tokens and "手续费" in tokens and "资金记录" in tokens


def test_entity_extractor_adds_entities_with_its_name(tmp_path):
    extractor = OKPayEntityExtractor.create({}, LocalModelStorage(tmp_path), Resource("x"), ExecutionContext(None))
    message = Message(data={TEXT: "昨天转了五百块"})
    extractor.process([message])
    found = {(e["entity"], e["value"], e["extractor"]) for e in message.get(ENTITIES)}
    assert ("amount", "500", "OKPayEntityExtractor") in found
    assert ("txn_time", "昨天", "OKPayEntityExtractor") in found


def test_entity_extractor_leaves_empty_messages_alone(tmp_path):
    extractor = OKPayEntityExtractor.create({}, LocalModelStorage(tmp_path), Resource("x"), ExecutionContext(None))
    message = Message(data={TEXT: ""})
    extractor.process([message])
    assert not message.get(ENTITIES)
