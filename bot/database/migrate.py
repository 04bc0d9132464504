"""Brings the support database (tickets, agents, review queue) to the newest schema with Alembic.

    python -m bot.database.migrate            # upgrade the configured database
    python -m bot.database.migrate --revision "add a column"   # new migration (autogenerate)

`scripts/run` and the console upgrade at start, so an operator never runs this
by hand unless they want to.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List

from alembic import command
from alembic.config import Config

from bot.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None) -> None:
    """Upgrades `url` (default: the configured ticket database) to the head revision."""
    url = url or get_settings().ticket_database_url
    if url.startswith("sqlite:///"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Migrate the ticket database.")
    parser.add_argument("--revision", metavar="MESSAGE", help="autogenerate a new migration instead")
    args = parser.parse_args(argv)
    url = get_settings().ticket_database_url
    if args.revision:
        command.revision(alembic_config(url), message=args.revision, autogenerate=True)
        return 0
    upgrade(url)
    print(f"ticket database is up to date ({url.split('@')[-1]})")
    return 0


if __name__ == "__main__":
    from bot.logs.setup import configure_logging

    configure_logging("migrate", sys.stderr)  # stdout is the command's own output (docs/logging.md)
    sys.exit(main())
