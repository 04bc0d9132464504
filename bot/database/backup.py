"""Backup and restore of both stores: the ticket store (tickets, agents, review queue) and the tracker store.

    python -m bot.database.backup dump --to backups/2026-12-01
    python -m bot.database.backup restore --from backups/2026-12-01            # into empty stores only
    python -m bot.database.backup restore --from backups/2026-12-01 --force    # replaces what the stores hold

A dump is a directory: `manifest.json` (format, version, when, the ticket
store's Alembic revision, one entry per store) and one file per store:

- SQLite (embedded): a consistent copy taken online with SQLite's backup API
  (`tickets.sqlite3`, `conversations.sqlite3`), while the servers write;
- PostgreSQL (replicated): `pg_dump --format=custom` (`*.pgdump`), restored
  with `pg_restore` (Debian's `postgresql-client`, same major version as the
  server or newer). When both stores are one database (the default:
  `OKPAY_TRACKER_DATABASE_URL` empty), it is dumped once.

Restore refuses a dump of another format or a newer version, or one whose
ticket schema is newer than this code's; an older one is migrated after the
restore (`bot.database.migrate`). It refuses stores that already hold
tickets or conversations unless `--force`. Stop the servers before a restore
(Rasa keeps trackers in memory); start them afterwards.

Not in a dump: the event stream (live news, rebuilt as Rasa stores events)
and Redis (locks, rate-limit counters, delivery marks: all expire within an
hour). Database passwords go to pg_dump in its environment, never on its
command line.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.database.database import create_database_if_missing
from bot.database.sqlite import sqlite_file, sqlite_missing
from bot.settings import Settings, get_settings

FORMAT = "okpay-backup"
VERSION = 1
MANIFEST = "manifest.json"
#: The tables whose rows make a store "not empty" (restore refuses to overwrite them without --force).
TICKET_TABLES = ("tickets", "agents", "review_items")
CONVERSATION_TABLES = ("events",)


class BackupError(RuntimeError):
    """A dump or restore that cannot go ahead, in words an operator can act on."""


@dataclass(frozen=True)
class Store:
    """One store to dump: its name, its database URL, and the tables that say it holds something."""

    name: str
    url: str
    tables: tuple

    @property
    def path(self) -> Path | None:
        """The SQLite file (None: a PostgreSQL store)."""
        return sqlite_file(self.url)

    @property
    def sqlite(self) -> bool:
        return self.path is not None


def stores_of(settings: Settings) -> List[Store]:
    """The stores of the deployment; one entry for both when they share a PostgreSQL database."""
    tickets, conversations = settings.ticket_database_url, settings.conversations_url
    if tickets == conversations:
        return [Store("tickets+conversations", tickets, TICKET_TABLES + CONVERSATION_TABLES)]
    return [Store("tickets", tickets, TICKET_TABLES), Store("conversations", conversations, CONVERSATION_TABLES)]


# --- PostgreSQL ---------------------------------------------------------------------------------

def _pg_arguments(url: str) -> tuple[List[str], Dict[str, str]]:
    """libpq options for `url` (host, port, user, database) and the environment with its password."""
    parsed = make_url(url)
    arguments = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432),
                 "--username", parsed.username or "postgres", "--dbname", parsed.database or "postgres"]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return arguments, env


def _run(command: List[str], env: Dict[str, str]) -> None:
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(f"{command[0]} is missing: install Debian's postgresql-client")
    result = subprocess.run([program, *command[1:]], env=env, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _pg_dump(store: Store, target: Path) -> None:
    arguments, env = _pg_arguments(store.url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *arguments], env)


def _pg_restore(store: Store, source: Path) -> None:
    """Restores a custom-format dump in one transaction, dropping the dumped tables first if they exist (empty
    ones made by a migration or a start, or, with --force, the ones being replaced)."""
    create_database_if_missing(store.url)
    arguments, env = _pg_arguments(store.url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "--clean",
          "--if-exists", *arguments, str(source)], env)


# --- SQLite -------------------------------------------------------------------------------------

def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (SQLite's online backup API: pages copied under its locks)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


# --- what a store holds -------------------------------------------------------------------------

def rows_held(store: Store) -> int:
    """How many rows the store's key tables hold (0: empty or missing)."""
    if store.sqlite and not store.path.exists():
        return 0
    if not store.sqlite:
            create_database_if_missing(store.url)
    engine = create_engine(store.url, future=True)
    try:
        present = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            return sum(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0
                       for table in store.tables if table in present)
    finally:
        engine.dispose()


def ticket_revision(url: str) -> str | None:
    """The ticket store's Alembic revision, or None when it has none."""
    if sqlite_missing(url):
        return None
    engine = create_engine(url, future=True)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def known_revisions() -> List[str]:
    """This code's Alembic revisions, oldest first."""
    from alembic.script import ScriptDirectory

    from bot.database.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


# --- dump and restore ---------------------------------------------------------------------------

def dump(settings: Settings, directory: Path) -> Dict[str, Any]:
    """Dumps every store into `directory` (new or empty); the manifest written."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: dump into a new directory")
    entries = []
    for store in stores_of(settings):
        if store.sqlite:
            if not store.path.exists():
                raise BackupError(f"the {store.name} store {store.path} does not exist")
            file = f"{store.name}.sqlite3"
            _sqlite_copy(store.path, directory / file)
        else:
            file = f"{store.name}.pgdump"
            _pg_dump(store, directory / file)
        entries.append({"name": store.name, "kind": "sqlite" if store.sqlite else "postgresql", "file": file,
                        "tables": list(store.tables), "bytes": (directory / file).stat().st_size})
    manifest = {"format": FORMAT, "version": VERSION,
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "ticket_revision": ticket_revision(settings.ticket_database_url), "stores": entries}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def read_manifest(directory: Path) -> Dict[str, Any]:
    """The dump's manifest, checked: our format, a version we read, a schema this code knows, files present."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"no readable {MANIFEST} in {directory}: not a dump of this assistant") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an {FORMAT} manifest")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise BackupError(f"dump version {manifest.get('version')!r}: this code reads version {VERSION} and older")
    revision = manifest.get("ticket_revision")
    if revision is not None and revision not in known_revisions():
        raise BackupError(f"the dump's ticket schema ({revision}) is newer than this code's: restore with that "
                          "version of the assistant")
    for entry in manifest.get("stores") or []:
        if not (directory / str(entry.get("file"))).is_file():
            raise BackupError(f"{entry.get('file')} is missing from {directory}")
    return manifest


def restore(settings: Settings, directory: Path, force: bool = False) -> Dict[str, Any]:
    """Restores the dump in `directory` into the configured stores; refuses non-empty stores unless `force`."""
    manifest = read_manifest(directory)
    targets = {store.name: store for store in stores_of(settings)}
    entries = {entry["name"]: entry for entry in manifest["stores"]}
    if set(entries) != set(targets):
        raise BackupError(f"the dump holds {', '.join(sorted(entries))} but this deployment has "
                          f"{', '.join(sorted(targets))}: dump and restore with the same layout")
    for name, store in targets.items():
        kind = "sqlite" if store.sqlite else "postgresql"
        if entries[name]["kind"] != kind:
            raise BackupError(f"the dump's {name} store is {entries[name]['kind']}, this deployment's is {kind}")
        if not force and rows_held(store):
            raise BackupError(f"the {name} store is not empty: restore into empty stores, or give --force to "
                              "replace what it holds")
    for name, store in targets.items():
        source = directory / entries[name]["file"]
        if store.sqlite:
            for suffix in ("-wal", "-shm"):
                Path(f"{store.path}{suffix}").unlink(missing_ok=True)
            store.path.unlink(missing_ok=True)
            _sqlite_copy(source, store.path)
        else:
            _pg_restore(store, source)
    if manifest.get("ticket_revision") is not None:
        from bot.database.migrate import upgrade

        upgrade(settings.ticket_database_url)
    return manifest


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Dump or restore the ticket and tracker stores.")
    commands = parser.add_subparsers(dest="command", required=True)
    dump_parser = commands.add_parser("dump", help="dump both stores into a new directory")
    dump_parser.add_argument("--to", required=True, type=Path, metavar="DIR")
    restore_parser = commands.add_parser("restore", help="restore a dump (stop the servers first)")
    restore_parser.add_argument("--from", required=True, type=Path, metavar="DIR", dest="source")
    restore_parser.add_argument("--force", action="store_true", help="replace what the stores hold")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        if args.command == "dump":
            manifest = dump(settings, args.to)
            print(f"dumped {', '.join(entry['name'] for entry in manifest['stores'])} into {args.to}")
        else:
            manifest = restore(settings, args.source, args.force)
            print(f"restored {', '.join(entry['name'] for entry in manifest['stores'])} from {args.source} "
                  f"(dumped {manifest['created_at']})")
    except BackupError as error:
        print(f"backup: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
