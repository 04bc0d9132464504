"""Alembic's schema is the models' schema, on SQLite and PostgreSQL, and upgrades are repeatable."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.database import tables
from bot.database.migrate import upgrade


def test_migrations_create_exactly_the_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, tables()) == []


def test_upgrade_twice_is_harmless_and_foreign_keys_are_real(database):
    upgrade(database.url)
    inspector = inspect(database.engine)
    foreign = {(fk["referred_table"], tuple(fk["constrained_columns"])) for fk in inspector.get_foreign_keys("tickets")}
    assert ("agents", ("assigned_agent_id",)) in foreign
    assert {fk["referred_table"] for fk in inspector.get_foreign_keys("ratings")} == {"tickets"}
    assert "alembic_version" in inspector.get_table_names()
