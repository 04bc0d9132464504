"""What a reviewer may label a message with: the domain's intents and entities, checked against the text.

Valid intents are the intents of `domain.yml` that users type (not the
console's `EXTERNAL_…` ones), with the retrieval intent `faq` only as one of
its topics, `faq/<topic>`, for each `utter_faq/<topic>` response. Entities are
the domain's entities, each a span of the message: `{entity, start, end}`
(value: the span's text unless given) or `{entity, value}` (found in the text).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Sequence, Tuple

import yaml

from bot.events import EXTERNAL_PREFIX
from bot.settings import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "domain.yml"
RETRIEVAL_INTENT = "faq"
_MAX_ENTITIES = 20


class BadLabel(ValueError):
    """A correction the domain or the text does not allow; `code` names it for the console."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class NluLabels:
    """The intents and entities a correction may use."""

    intents: FrozenSet[str]
    entities: FrozenSet[str]

    @classmethod
    def from_domain(cls, domain: Dict[str, Any]) -> NluLabels:
        intents = set()
        for item in domain.get("intents") or []:
            name = item if isinstance(item, str) else next(iter(item))
            if not name.startswith(EXTERNAL_PREFIX) and name != RETRIEVAL_INTENT:
                intents.add(name)
        prefix = f"utter_{RETRIEVAL_INTENT}/"
        intents |= {f"{RETRIEVAL_INTENT}/{name[len(prefix):]}" for name in domain.get("responses") or {}
                    if name.startswith(prefix)}
        entities = {item if isinstance(item, str) else next(iter(item)) for item in domain.get("entities") or []}
        return cls(frozenset(intents), frozenset(entities))

    def check_intent(self, intent: Any) -> str:
        """The intent, if a correction may use it; else BadLabel("unknown_intent")."""
        if not isinstance(intent, str) or intent.strip() not in self.intents:
            raise BadLabel("unknown_intent", f"{intent!r} is not an intent of the domain")
        return intent.strip()

    def check_entities(self, entities: Any, text: str, known: Sequence[Dict[str, Any]] = ()) -> List[Dict[str, Any]]:
        """Entities as {entity, value, start, end}, sorted, each a span of `text`; else BadLabel("bad_entities").

        `{entity, value}` whose value is not in the text (the NLU's "500" for 五百块) takes its span from
        the same entity and value among `known` (what the NLU found, or an earlier correction).
        """
        if entities is None:
            return []
        if not isinstance(entities, list) or len(entities) > _MAX_ENTITIES:
            raise BadLabel("bad_entities", "entities must be a list")
        spans = {(k.get("entity"), str(k.get("value"))): (k.get("start"), k.get("end"))
                 for k in known if isinstance(k, dict)}
        checked = sorted((self._entity(self._placed(item, text, spans), text) for item in entities),
                         key=lambda e: (e["start"], e["end"]))
        for before, after in zip(checked, checked[1:], strict=False):
            if after["start"] < before["end"]:
                raise BadLabel("bad_entities", "entities overlap")
        return checked

    @staticmethod
    def _placed(item: Any, text: str, spans: Dict[Tuple[Any, str], Tuple[Any, Any]]) -> Any:
        """`item` with start and end from `spans` when it has none and its value is not in the text."""
        if not isinstance(item, dict) or item.get("start") is not None or item.get("end") is not None:
            return item
        value = item.get("value")
        if value in (None, "") or str(value) in text or (item.get("entity"), str(value)) not in spans:
            return item
        start, end = spans[(item.get("entity"), str(value))]
        return {**item, "start": start, "end": end}

    def _entity(self, item: Any, text: str) -> Dict[str, Any]:
        if not isinstance(item, dict) or item.get("entity") not in self.entities:
            raise BadLabel("bad_entities", f"unknown entity in {item!r}")
        value, start, end = item.get("value"), item.get("start"), item.get("end")
        if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
            raise BadLabel("bad_entities", f"bad value in {item!r}")
        if start is None and end is None:
            found = text.find(str(value)) if value not in (None, "") else -1
            if found < 0:
                raise BadLabel("bad_entities", f"{value!r} is not in the message")
            start, end = found, found + len(str(value))
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            raise BadLabel("bad_entities", f"start and end must be numbers in {item!r}")
        if not 0 <= start < end <= len(text) or not text[start:end].strip():
            raise BadLabel("bad_entities", f"{item!r} is outside the message")
        return {"entity": item["entity"], "value": text[start:end] if value in (None, "") else str(value),
                "start": start, "end": end}


@lru_cache(maxsize=4)
def _labels_of(path: Path, mtime: float) -> NluLabels:
    return NluLabels.from_domain(yaml.safe_load(path.read_text(encoding="utf-8")))


def domain_labels(path: Path = DOMAIN) -> NluLabels:
    """The labels of `path` (read again when the file changes)."""
    return _labels_of(path, path.stat().st_mtime)
