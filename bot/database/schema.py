"""What every table of the support database shares: the declarative base and the column types.

One database (SQLite by default, PostgreSQL by `OKPAY_DATABASE_URL`) holds the
tickets (`bot.tickets.models`), the agents and their sessions
(`bot.agents.models`) and the review queue (`bot.insights.review_items`);
Alembic keeps its schema (`bot.database.migrate`). Times are stored as UTC and
always come back timezone-aware (`UTCDateTime`); money is `Numeric` and comes
back as `Decimal`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, MetaData, Numeric, String
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

CENTS = Decimal("0.01")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A datetime stored as naive UTC and read back as aware UTC.

    SQLite keeps no time zone, PostgreSQL's `timestamp` neither; converting at
    this one boundary keeps every comparison in Python between aware times.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Money(TypeDecorator):
    """A `Decimal` amount with two places: NUMERIC on PostgreSQL, text on SQLite.

    SQLite has no decimal type (NUMERIC columns turn values into floats), so
    there the exact digits are stored as text; Python always sees `Decimal`.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(value).quantize(CENTS)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(CENTS)


Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


