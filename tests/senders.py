"""Sender ids for tests that talk to the REST channel."""
from __future__ import annotations

import re


def sender_id(name: str) -> str:
    """`name` as a sender id the REST channel accepts (a test's name may hold brackets, spaces, Chinese)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)[:100]
