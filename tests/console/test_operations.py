"""The console's probes and `/metrics`: open to a scraper without a sign-in, counts only, one cheap read per scrape."""
from __future__ import annotations

import pytest

from bot.console.operations import QUEUE_LENGTHS
from bot.database.database import Database
from bot.settings import Settings
from bot.tickets.models import SENIOR_QUEUE
from tests.console.conftest import run, sign_in
from tests.metrics_reading import parse, value
from tests.ticket_factories import make_agent, make_ticket


@pytest.fixture
def world(console_db):
    """Two conversations wait in the general queue, one in the senior queue; li may claim."""
    with console_db.session() as session:
        make_agent(session, "li", name="小李")
        numbers = [make_ticket(session, f"widget:u:waiting-{i}", queued=True, channel="widget").number
                   for i in range(2)]
        make_ticket(session, "widget:u:senior-secret-user", queued=True, queue=SENIOR_QUEUE, channel="widget")
    return numbers


async def scrape(client) -> tuple:
    answer = await client.get("/metrics")
    text = await answer.text()
    return answer, text, parse(text) if answer.status == 200 else {}


def test_probes_answer_without_a_sign_in(console_settings, console_db):
    async def scenario(client, rasa):
        health, ready = await client.get("/health"), await client.get("/ready")
        assert health.status == 200 and (await health.json()) == {"status": "ok"}
        assert ready.status == 200 and (await ready.json())["checks"] == {"ticket_store": "ok"}

    run(console_settings, console_db, scenario)


def test_ready_says_503_when_the_ticket_database_does_not_answer(tmp_path):
    broken = Database(f"sqlite:///{tmp_path}")  # a directory, not a database file

    async def scenario(client, rasa):
        ready = await client.get("/ready")
        assert ready.status == 503 and (await ready.json())["status"] == "not_ready"
        assert (await client.get("/health")).status == 200
        assert (await client.get("/metrics")).status == 200  # a scrape still answers (the queue's length unread)
        assert client.raw.server.app[QUEUE_LENGTHS].reads == 0

    run(Settings(database_url=broken.url), broken, scenario)


def test_metrics_give_the_queue_and_a_claim_without_naming_agents_users_or_tickets(console_settings, console_db,
                                                                                    world):
    async def scenario(client, rasa):
        answer, text, before = await scrape(client)
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/plain; version=")
        assert value(before, "okpay_queue_length", queue="general") == 2
        assert value(before, "okpay_queue_length", queue="senior") == 1
        await sign_in(client, "li")
        assert (await client.post(f"/api/tickets/{world[0]}/claim", json={})).status == 200
        client.raw.server.app[QUEUE_LENGTHS].refresh_s = 0  # read again now
        _, text, after = await scrape(client)
        assert value(after, "okpay_queue_length", queue="general") == 1
        assert value(after, "okpay_handoffs_claimed_total", queue="general") - value(
            before, "okpay_handoffs_claimed_total", queue="general") == 1
        assert value(after, "okpay_queue_wait_seconds_count", queue="general") - value(
            before, "okpay_queue_wait_seconds_count", queue="general") == 1
        for private in ("小李", "senior-secret-user", "widget:u:", *world):
            assert private not in text, private
        label_values = {label_value for _, labels in after for _, label_value in labels}
        assert "li" not in label_values

    run(console_settings, console_db, scenario)


def test_the_queue_is_read_once_for_scrapes_close_together(console_settings, console_db, world):
    async def scenario(client, rasa):
        lengths = client.raw.server.app[QUEUE_LENGTHS]
        now = [1000.0]
        lengths.clock = lambda: now[0]
        for _ in range(5):
            assert (await client.get("/metrics")).status == 200
        assert lengths.reads == 1
        now[0] += lengths.refresh_s + 0.1
        await client.get("/metrics")
        assert lengths.reads == 2

    run(console_settings, console_db, scenario)


def test_with_a_token_only_the_scraper_holding_it_reads_the_metrics(console_db):
    token = "console-scraper-token-0123456789"
    settings = Settings(database_url=console_db.url, metrics_token=token)

    async def scenario(client, rasa):
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status == 401
        assert (await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})).status == 200
        assert (await client.get("/ready")).status == 200  # probes need no token

    run(settings, console_db, scenario)
