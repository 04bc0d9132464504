"""Entities follow their words when a text is redacted; those on a secret are left out."""
from bot.privacy import MASK
from bot.privacy.entities import redact_with_entities
from tests.privacy.samples import CARD


def span(text, words, entity="x"):
    start = text.index(words)
    return {"entity": entity, "value": words, "start": start, "end": start + len(words)}


def test_entities_before_after_and_on_a_secret():
    text = f"提现五百块 卡号 {CARD} 电话13812345678"
    amount, card, phone = span(text, "五百块", "amount"), span(text, CARD, "card"), span(text, "13812345678", "phone")
    redacted, entities = redact_with_entities(text, [amount, card, phone])
    assert redacted == f"提现五百块 卡号 {MASK} 电话13812345678"
    assert entities == [span(redacted, "五百块", "amount"), span(redacted, "13812345678", "phone")]
    assert amount == span(text, "五百块", "amount")  # the caller's entities are not changed


def test_an_entity_overlapping_a_secret_is_left_out():
    text = f"卡号{CARD}"
    redacted, entities = redact_with_entities(text, [{"entity": "x", "value": f"号{CARD[:4]}", "start": 1, "end": 6}])
    assert redacted == f"卡号{MASK}" and entities == []


def test_values_without_a_span_are_redacted():
    redacted, entities = redact_with_entities(f"卡号 {CARD}", [{"entity": "card", "value": f"卡号 {CARD}"}])
    assert entities == [{"entity": "card", "value": f"卡号 {MASK}"}]


def test_nothing_to_hide_keeps_everything():
    entities = [{"entity": "amount", "value": "500", "start": 2, "end": 5}]
    assert redact_with_entities("提现500", entities) == ("提现500", entities)
