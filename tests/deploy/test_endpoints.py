"""The endpoints file and its variables, derived from the settings' URLs."""
from __future__ import annotations

import yaml

from bot.deploy.endpoints import (
    EMBEDDED_ENDPOINTS,
    PRODUCTION_ENDPOINTS,
    deployment_problems,
    endpoints_file,
    store_environment,
)
from bot.settings import Settings

REPLICATED = dict(deployment="replicated", database_url="postgresql://okpay:s%40cret@db.internal:6543/okpay",
                  redis_url="redis://:pw@cache.internal:6380/2")


def test_embedded_uses_sqlite_and_in_memory_locks():
    settings = Settings()
    assert endpoints_file(settings) == EMBEDDED_ENDPOINTS
    assert store_environment(settings) == {}
    assert deployment_problems(settings) == []
    endpoints = yaml.safe_load(EMBEDDED_ENDPOINTS.read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["dialect"] == "sqlite"
    assert endpoints["lock_store"]["type"] == "bot.runtime.lock_store.FastInMemoryLockStore"


def test_replicated_reads_postgresql_and_redis_from_the_two_urls():
    settings = Settings(**REPLICATED)
    assert endpoints_file(settings) == PRODUCTION_ENDPOINTS
    env = store_environment(settings)
    assert (env["OKPAY_TRACKER_DB_HOST"], env["OKPAY_TRACKER_DB_PORT"], env["OKPAY_TRACKER_DB_NAME"],
            env["OKPAY_TRACKER_DB_USER"], env["OKPAY_TRACKER_DB_PASSWORD"]) == (
        "db.internal", "6543", "okpay", "okpay", "s@cret")
    assert (env["OKPAY_LOCK_REDIS_HOST"], env["OKPAY_LOCK_REDIS_PORT"], env["OKPAY_LOCK_REDIS_DB"],
            env["OKPAY_LOCK_REDIS_PASSWORD"]) == ("cache.internal", "6380", "2", "pw")
    assert env["TICKET_LOCK_LIFETIME"] == "20"


def test_every_variable_the_production_file_names_is_provided():
    import re

    lines = [line for line in PRODUCTION_ENDPOINTS.read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("#")]
    names = set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))
    assert "OKPAY_TRACKER_DB_HOST" in names
    from bot.cli.serve import child_environment

    provided = set(child_environment(Settings(**REPLICATED), "token", "secret"))
    assert names <= provided, names - provided
    assert set(store_environment(Settings(**REPLICATED))) <= provided


def test_replicated_without_postgresql_or_redis_says_what_is_missing():
    problems = deployment_problems(Settings(deployment="replicated", lock_key_prefix="ok-pay"))
    assert len(problems) == 3
    assert any("OKPAY_DATABASE_URL" in p for p in problems)
    assert any("OKPAY_REDIS_URL" in p for p in problems)


def test_replica_ports_follow_the_balancers():
    settings = Settings(**REPLICATED, rasa_port=5005, action_port=5055, rasa_replicas=3)
    assert settings.rasa_replica_ports == [5006, 5007, 5008]
    assert settings.action_replica_ports == [5056, 5057]
    assert settings.public_url == "http://127.0.0.1:8080"
    assert Settings().rasa_replica_ports == [5005]
