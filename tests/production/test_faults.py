"""Faults the replicated deployment survives: a dead action server, a dead Rasa replica,
a PostgreSQL restart and Redis going away."""
from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid

import requests
from sqlalchemy import create_engine, text

from tests.production.conftest import User, form_until_description, response_text, stored_user_messages
from tests.production.load import run_load, tracker_problems


def step_number(texts) -> int:
    for line in texts:
        found = re.search(r"第(\d+)步", line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"no step in {texts}")


def wait_until_balanced(url: str, timeout_s: float = 30) -> None:
    """Until the balancer passes requests again (it skips a replica for 5 s after it failed)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer through the balancer")


def test_action_servers_killed_in_the_middle_of_a_guide(replicated, user, domain):
    assert step_number(user.texts("付款失败了")) == 1
    replicated.kill("actions-1")
    # One replica left: the balancer skips the dead one, the guide goes on.
    assert step_number(user.texts("没解决")) == 2
    replicated.kill("actions-2")
    # None left: a polite "try again shortly", nothing else, and the step is not lost.
    assert user.texts("没解决") == [response_text(domain, "utter_try_again_shortly")]
    replicated.restart("actions-1")
    replicated.restart("actions-2")
    wait_until_balanced(f"http://{replicated.settings.action_host}:{replicated.settings.action_port}/health")
    assert step_number(user.texts("没解决")) == 3


def access_log_lines(stack) -> list:
    log = stack.settings.resolve(stack.settings.log_dir) / "nginx-access.log"
    return log.read_text(encoding="utf-8").splitlines()


def webhook_lines(stack) -> list:
    return [line for line in access_log_lines(stack) if "/webhooks/rest/webhook" in line]


def test_a_rasa_replica_killed_under_load_loses_no_message(replicated, tracker_db):
    prefix = f"kill-{uuid.uuid4().hex[:6]}"
    outcome = {}

    def load() -> None:
        outcome["result"] = asyncio.run(run_load(replicated.rasa_url, prefix, conversations=6, senders=2, turns=10))

    answered_before = len(webhook_lines(replicated))
    runner = threading.Thread(target=load)
    runner.start()
    # Kill once the load is well under way (a dozen answers logged), not after a fixed time: turns got faster.
    deadline = time.monotonic() + 60
    while len(webhook_lines(replicated)) < answered_before + 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    replicated.kill("rasa-1")  # SIGKILL: no goodbye, its locks stay in Redis until they expire
    runner.join(300)
    result = outcome["result"]
    try:
        assert result.failures == []
        assert result.messages == 6 * 2 * 10
        # At least one message was on the killed replica when it died and was re-sent to the other …
        killed = f"127.0.0.1:{replicated.settings.rasa_replica_ports[0]}"
        resent = [line for line in webhook_lines(replicated) if f'upstream="{killed}, ' in line and '" 200 ' in line]
        assert resent, "no message was in flight on the killed replica"
        # … and, like every other, was stored once, in order, in a turn of its own.
        assert tracker_problems(tracker_db, result) == []
    finally:
        replicated.restart("rasa-1")


def test_postgresql_restarted_while_tickets_are_opened(replicated, private_postgres, domain):
    users = [User(replicated, f"pg-{uuid.uuid4().hex[:8]}") for _ in range(4)]
    for each in users:
        form_until_description(each, domain)
    replies: dict = {}

    def finish(each: User) -> None:
        replies[each.sender] = " ".join(each.texts("付款一直失败，扣款了但是订单没成功", timeout=120))

    threads = [threading.Thread(target=finish, args=(each,)) for each in users]
    for thread in threads:
        thread.start()
    private_postgres.restart()  # the session's own cluster, never the machine's
    for thread in threads:
        thread.join(180)
    for each in users:
        # Told honestly (the message was not processed, or the ticket store stayed down): the user does
        # what the answer says, and the ticket opens.
        if response_text(domain, "utter_service_busy") in replies[each.sender]:
            replies[each.sender] = " ".join(each.texts("付款一直失败，扣款了但是订单没成功"))
        elif response_text(domain, "utter_ticket_store_down") in replies[each.sender]:
            replies[each.sender] = " ".join(each.texts("转人工"))
        assert re.search(r"OK-\d{8}-\d{4}", replies[each.sender]), replies[each.sender]
    engine = create_engine(replicated.settings.ticket_database_url, pool_pre_ping=True)
    with engine.connect() as connection:
        for each in users:
            count = connection.execute(text("SELECT count(*) FROM tickets WHERE conversation_id = :c"),
                                       {"c": each.conversation}).scalar_one()
            assert count == 1, f"{each.sender} has {count} tickets"
    engine.dispose()


def test_redis_unavailable_refuses_messages_clearly_and_stores_nothing(replicated, private_redis, user, domain,
                                                                     tracker_db):
    assert user.texts("你好")
    before = len(stored_user_messages(tracker_db, user.conversation))
    private_redis.stop()
    try:
        assert user.texts("付款失败了") == [response_text(domain, "utter_service_busy")]
        assert requests.get(f"{replicated.public_url}/ready", timeout=10).status_code == 503
        # Not processed without the lock, so not stored either.
        assert len(stored_user_messages(tracker_db, user.conversation)) == before
    finally:
        private_redis.start()
    assert step_number(user.texts("付款失败了")) == 1
