"""The support database: tickets, agents and their sessions, the review queue (one schema, kept by Alembic).

`schema` holds the declarative base and column types; each package keeps its
own tables (`bot.tickets.models`, `bot.agents.models`,
`bot.insights.review_items`); `tables()` loads them all (Alembic and the
migration test compare the whole schema); `database` makes engines and
sessions on first use; `migrate` upgrades (`python -m bot.database.migrate`).
"""
from __future__ import annotations

from typing import Any


def tables() -> Any:
    """The metadata of every table of the support database (importing each package's models)."""
    import bot.agents.models  # noqa: F401
    import bot.insights.review_items  # noqa: F401
    import bot.tickets.models  # noqa: F401
    from bot.database.schema import Base

    return Base.metadata
