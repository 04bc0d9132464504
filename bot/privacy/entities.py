"""A text redacted together with its NLU entities, so each entity still points at its words.

`redact_with_entities(text, entities)` redacts the text; an entity
({entity, value, start, end}) that covered part of a secret is dropped, one
after a secret moves by the difference between the secret's length and the
mask's, and every string value is redacted too (an entity given without a
span could hold a secret).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from bot.privacy.redaction import MASK, redact


def redact_with_entities(text: str, entities: Sequence[Dict[str, Any]]) -> Tuple[str, List[Dict[str, Any]]]:
    """`text` redacted and its `entities` moved to match (new dicts; those on a secret left out)."""
    redaction = redact(text)
    if not redaction.found:
        return text, [dict(entity) for entity in entities]
    kept = []
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        moved = dict(entity)
        if _offset(start) and _offset(end):
            if any(first < end and start < last for first, last in redaction.spans):
                continue
            shift = sum(len(MASK) - (last - first) for first, last in redaction.spans if last <= start)
            moved.update(start=start + shift, end=end + shift)
        if isinstance(moved.get("value"), str):
            moved["value"] = redact(moved["value"]).text
        kept.append(moved)
    return redaction.text, kept


def _offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
