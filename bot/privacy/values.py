"""Secrets hidden in every string of a JSON-like value: a message's metadata, however deeply nested.

`redact_values(value)` redacts each string that is a dict value or a list or
tuple item, at any depth (without recursion, so deep nesting costs no stack);
keys, numbers and other values are kept. The value given is never changed:
the containers on the way are copied, and when nothing is found the value
itself comes back.
"""
from __future__ import annotations

from typing import Any, List, Tuple

from bot.privacy.redaction import redact


def redact_values(value: Any) -> Tuple[Any, Tuple[str, ...]]:
    """`value` with every string in it redacted, and the kinds of secrets found (in order, each once)."""
    kinds: List[str] = []
    root = [value]
    stack: List[Tuple[Any, Any]] = [(root, 0)]
    tuples: List[Tuple[Any, Any]] = []  # (container, key) of the tuples copied as lists, to turn back
    while stack:
        parent, key = stack.pop()
        item = parent[key]
        if isinstance(item, str):
            redaction = redact(item)
            if redaction.found:
                parent[key] = redaction.text
                kinds += redaction.kinds
        elif isinstance(item, dict):
            parent[key] = copy = dict(item)
            stack += [(copy, inner) for inner in reversed(list(copy))]
        elif isinstance(item, (list, tuple)):
            parent[key] = copy = list(item)
            stack += [(copy, index) for index in reversed(range(len(copy)))]
            if isinstance(item, tuple):
                tuples.append((parent, key))
    if not kinds:
        return value, ()
    for parent, key in reversed(tuples):
        parent[key] = tuple(parent[key])
    return root[0], tuple(dict.fromkeys(kinds))
