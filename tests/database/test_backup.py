"""`python -m bot.database.backup`: dump, wipe, restore, and the console shows the same tickets and Rasa the same
conversations; on SQLite (embedded) and PostgreSQL (replicated)."""
from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.agents.models import SUPERVISOR
from bot.database import backup
from bot.database.backup import BackupError
from bot.database.database import Database
from bot.settings import reset_settings_cache
from tests.console.conftest import run as run_console
from tests.console.conftest import sign_in
from tests.store_world import DOMAIN, open_tickets, rows, say, settings_in_environment
from tests.ticket_factories import make_agent

USERS = ("wechat:o-backup-1", "telegram:4242", "widget:u:u-77")


@pytest.fixture
def world(store_deployment):
    settings = store_deployment
    for index, user in enumerate(USERS):
        say(settings, user, [f"第{index}位用户的问题", "还是不行"])
        open_tickets(settings, user, f"1381234567{index}", f"user{index}@example.com", f"描述{index}")
    database = Database(settings.ticket_database_url)
    with database.session() as session:
        make_agent(session, username="chief", role=SUPERVISOR)
    database.dispose()
    return settings


def console_view(settings) -> dict:
    """What a supervisor's console shows: the queue, and every ticket's page (its real handlers)."""
    seen = {}

    async def scenario(client, rasa):
        await sign_in(client, "chief")
        queue = await (await client.get("/api/queue")).json()
        for group in queue.values():
            for ticket in group if isinstance(group, list) else []:
                ticket.pop("waiting_seconds", None)
        seen["queue"] = queue
        listed = sorted(t["number"] for group in ("waiting", "open") for t in queue[group])
        assert len(listed) == len(USERS)  # each user's queued ticket
        seen["tickets"] = {}
        for number in numbers:  # and every ticket's page, resolved ones too
            page = await (await client.get(f"/api/tickets/{number}")).json()
            page["ticket"].pop("waiting_seconds", None)
            seen["tickets"][number] = page

    # Which pages to open; what they show comes from the console.
    numbers = sorted(number for (number,) in rows(settings.ticket_database_url, "SELECT number FROM tickets"))

    database = Database(settings.ticket_database_url)
    try:
        run_console(settings, database, scenario)
    finally:
        database.dispose()
    return seen


def conversations(settings) -> dict:
    """Every stored event of each user, as Rasa's store reads it back."""
    url = make_url(settings.conversations_url)
    if url.get_backend_name() == "sqlite":
        rasa = SQLTrackerStore(DOMAIN, dialect="sqlite", db=url.database)
    else:
        rasa = SQLTrackerStore(DOMAIN, dialect="postgresql", host=url.host, port=url.port, db=url.database,
                               username=url.username)
    try:
        return {user: [event.as_dict() for event in asyncio.run(rasa.retrieve_full_tracker(user)).events]
                for user in USERS}
    finally:
        rasa.engine.dispose()


def wipe(settings) -> None:
    if settings.replicated:
        url = make_url(settings.ticket_database_url)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        admin.dispose()
    else:
        for path in (settings.tracker_db, settings.ticket_db):
            path.unlink()


def test_dump_wipe_restore_gives_the_console_and_rasa_the_same_tickets_and_conversations(world, tmp_path):
    shown, stored = console_view(world), conversations(world)
    manifest = backup.dump(world, tmp_path / "dump")
    assert manifest["format"] == "okpay-backup" and manifest["ticket_revision"]
    assert [entry["kind"] for entry in manifest["stores"]] == (
        ["postgresql"] if world.replicated else ["sqlite", "sqlite"])

    wipe(world)
    backup.restore(world, tmp_path / "dump")

    assert console_view(world) == shown and len(shown["tickets"]) == 2 * len(USERS)
    assert all(page["ticket"]["contact_phone"] for page in shown["tickets"].values())
    assert conversations(world) == stored and all(len(events) == 8 for events in stored.values())


def test_restore_refuses_stores_that_hold_something_unless_forced(world, tmp_path):
    backup.dump(world, tmp_path / "dump")
    say(world, "rest:after-the-dump", ["之后的消息"])
    with pytest.raises(BackupError, match="not empty"):
        backup.restore(world, tmp_path / "dump")
    assert "rest:after-the-dump" in conversations_with(world)
    backup.restore(world, tmp_path / "dump", force=True)
    assert "rest:after-the-dump" not in conversations_with(world)


def conversations_with(settings) -> list:
    return [sender for (sender,) in rows(settings.conversations_url, "SELECT DISTINCT sender_id FROM events")]


def test_a_dump_goes_into_a_new_directory(world, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        backup.dump(world, tmp_path / "used")


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(format="something-else"), "not an okpay-backup manifest"),
    (lambda m: m.update(version=backup.VERSION + 1), "this code reads version"),
    (lambda m: m.update(ticket_revision="9999_from_the_future"), "newer than this code's"),
    (lambda m: m["stores"][0].update(file="missing.bin"), "missing.bin is missing"),
])
def test_a_dump_of_another_format_version_or_schema_is_refused(world, tmp_path, change, message):
    backup.dump(world, tmp_path / "dump")
    path = tmp_path / "dump" / backup.MANIFEST
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))
    wipe(world)
    with pytest.raises(BackupError, match=message):
        backup.restore(world, tmp_path / "dump")


def test_a_directory_without_a_manifest_is_not_a_dump(world, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackupError, match="not a dump"):
        backup.restore(world, tmp_path / "empty")


def test_the_command_dumps_and_restores_with_the_settings(world, tmp_path, monkeypatch, capsys):
    settings_in_environment(world, monkeypatch)
    reset_settings_cache()
    try:
        assert backup.main(["dump", "--to", str(tmp_path / "cli")]) == 0
        assert backup.main(["restore", "--from", str(tmp_path / "cli")]) == 2
        assert "not empty" in capsys.readouterr().err
        assert backup.main(["restore", "--from", str(tmp_path / "cli"), "--force"]) == 0
    finally:
        reset_settings_cache()


def test_postgresql_passwords_stay_off_the_command_line():
    arguments, env = backup._pg_arguments("postgresql://okpay:s3cret-pw@db.internal:6543/okpay")
    assert "s3cret-pw" not in " ".join(arguments) and env["PGPASSWORD"] == "s3cret-pw"
    assert arguments == ["--host", "db.internal", "--port", "6543", "--username", "okpay", "--dbname", "okpay"]


def test_a_missing_pg_dump_is_named(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match="postgresql-client"):
        backup._run(["pg_dump", "--version"], {})
