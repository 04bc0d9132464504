"""`python -m bot.privacy.retention`: what is older than the limit goes, in batches, once; the rest stays."""
from __future__ import annotations

import json

import pytest
import redis

from bot.database.database import Database
from bot.privacy import retention
from bot.settings import reset_settings_cache
from bot.tickets.erasure import ERASED_PREFIX
from bot.tickets.models import CANCELLED, RESOLVED, Rating, Ticket
from tests.store_world import anonymous_counts, days_ago, open_tickets, rows, say, settings_in_environment

OLD, RECENT = "wechat:old-user", "widget:u:recent-user"
OLD_PHONE, OLD_WORDS = "13811112222", "半年前的提现问题"
RECENT_PHONE, RECENT_WORDS = "13933334444", "今天的付款问题"


def backdate_redis_stream(settings) -> None:
    """Gives each Redis stream entry the id of its event's time, as if it had been appended then."""
    client = redis.Redis.from_url(settings.redis_url)
    entries = client.xrange("okpay:events")
    client.delete("okpay:events")
    for index, (_, fields) in enumerate(entries):
        stamp = int(json.loads(fields[b"body"])["timestamp"] * 1000)
        client.xadd("okpay:events", fields, id=f"{stamp}-{index}")
    client.close()


@pytest.fixture
def world(store_deployment):
    settings = store_deployment
    say(settings, OLD, [f"电话{OLD_PHONE}", OLD_WORDS, "还没到"], when=days_ago(200))
    say(settings, RECENT, [f"电话{RECENT_PHONE}", RECENT_WORDS], when=days_ago(1))
    if settings.redis_url:
        backdate_redis_stream(settings)
    open_tickets(settings, OLD, OLD_PHONE, "old@example.com", OLD_WORDS, when=days_ago(200))
    open_tickets(settings, RECENT, RECENT_PHONE, "recent@example.com", RECENT_WORDS, when=days_ago(1))
    return settings


def events_of(settings, sender: str) -> list:
    found = rows(settings.conversations_url, "SELECT data FROM events WHERE sender_id = :s", s=sender)
    return [json.loads(data) for (data,) in found]


def stream_senders(settings) -> list:
    url = settings.event_stream_url
    if url.startswith("sqlite"):
        return [sender for (sender,) in rows(url, "SELECT sender_id FROM okpay_event_stream")]
    client = redis.Redis.from_url(url)
    senders = [json.loads(fields[b"body"])["sender_id"] for _, fields in client.xrange("okpay:events")]
    client.close()
    return senders


def tickets(settings) -> list:
    database = Database(settings.ticket_database_url)
    with database.session() as session:
        rows = [(t.conversation_id, t.status, t.contact_phone, t.contact_email, t.description, t.txn_time,
                 t.request_key, t.rating.score if t.rating else None, t.rating.comment if t.rating else None)
                for t in session.query(Ticket).order_by(Ticket.id)]
    database.dispose()
    return rows


def review_conversations(settings) -> list:
    return [conversation for (conversation,) in rows(settings.ticket_database_url,
                                                     "SELECT conversation_id FROM review_items")]


def test_what_is_older_than_the_limit_goes_in_batches_and_the_rest_stays(world):
    counts, recent_tickets = anonymous_counts(world), [t for t in tickets(world) if t[0] == RECENT]
    recent_events = events_of(world, RECENT)

    done = retention.run(world, days=180, batch=5)  # 12 old events: three batches

    assert events_of(world, OLD) == [] and events_of(world, RECENT) == recent_events
    assert OLD not in stream_senders(world) and stream_senders(world).count(RECENT) == 8
    old_resolved, old_waiting, *rest = tickets(world)
    assert old_resolved[0].startswith(ERASED_PREFIX) and old_resolved[1] == RESOLVED
    assert old_resolved[2:7] == (None, None, None, None, None) and old_resolved[7:] == (4, None)
    # Still queued after 200 days: nobody will follow it up any more. One pseudonym for the conversation.
    assert old_waiting[:3] == (old_resolved[0], CANCELLED, None)
    assert rest == recent_tickets
    assert review_conversations(world) == [RECENT]
    assert anonymous_counts(world) == counts
    assert (done.tracker_events, done.stream_entries, done.tickets.tickets, done.review_items) == (12, 12, 2, 1)
    assert done.tickets.rating_comments == 1 and done.tickets.notes == 1 and done.tickets.handoff_steps == 1


def test_a_second_run_removes_nothing_more(world):
    retention.run(world, days=180, batch=5)
    again = retention.run(world, days=180, batch=5)
    assert (again.tracker_events, again.stream_entries, again.tickets.tickets, again.review_items) == (0, 0, 0, 0)


def test_a_dry_run_counts_what_a_run_removes_and_removes_nothing(world):
    dry = retention.run(world, days=180, dry_run=True)
    assert (dry.tracker_events, dry.tickets.tickets, dry.review_items) == (12, 2, 1)
    assert len(events_of(world, OLD)) == 12
    assert retention.run(world, days=180).tracker_events == 12


def test_zero_days_keeps_everything(world):
    assert retention.run(world, days=0).days == 0
    assert len(events_of(world, OLD)) == 12 and review_conversations(world) == [OLD, RECENT]


def test_the_command_reads_the_setting(world, monkeypatch, capsys):
    settings_in_environment(world, monkeypatch, OKPAY_RETENTION_DAYS="365")
    reset_settings_cache()
    try:
        assert retention.main([]) == 0
        assert "older than 365 days" in capsys.readouterr().out and len(events_of(world, OLD)) == 12
        assert retention.main(["--days", "180", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["tracker_events"] == 12
        with pytest.raises(SystemExit):
            retention.main(["--days", "-1"])
    finally:
        reset_settings_cache()


def test_a_negative_setting_is_refused(monkeypatch):
    from pydantic import ValidationError

    from bot.settings import Settings

    monkeypatch.setenv("OKPAY_RETENTION_DAYS", "-5")
    with pytest.raises(ValidationError):
        Settings()


def test_rating_scores_survive(world):
    retention.run(world, days=180)
    database = Database(world.ticket_database_url)
    with database.session() as session:
        assert sorted(r.score for r in session.query(Rating)) == [4, 4]
    database.dispose()
