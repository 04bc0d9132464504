"""Shared fixtures: tracker and dispatcher factories, the domain's responses."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parent.parent
#: Every client of the test suite connects from 127.0.0.1: per-address rate limits would count the whole
#: suite as one flooding client. They are off here (and in the stacks the tests start, which inherit the
#: environment); tests/test_ratelimit.py, the channel tests' `limits` fixture and the ticket tests turn
#: them on where a test is about them.
PER_ADDRESS_LIMITS_OFF = {"OKPAY_RATE_MESSAGES_PER_MINUTE_PER_ADDRESS": "0",
                          "OKPAY_RATE_NEW_VISITORS_PER_HOUR_PER_ADDRESS": "0",
                          "OKPAY_RATE_TICKETS_PER_HOUR_PER_ADDRESS": "0"}


@pytest.fixture(scope="session", autouse=True)
def _one_address_for_the_whole_suite():
    from bot.settings import reset_settings_cache

    with pytest.MonkeyPatch.context() as patch:
        for name, value in PER_ADDRESS_LIMITS_OFF.items():
            patch.setenv(name, value)
        reset_settings_cache()
        yield
    reset_settings_cache()


def user_event(text: str, intent: str, confidence: float = 0.9) -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}},
    }


def action_event(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


@pytest.fixture
def make_tracker():
    """Builds a rasa-sdk Tracker: `make_tracker(text=..., intent=..., slots=..., events=...)`.

    The latest user message is appended to `events` unless `events` already
    ends with a user event.
    """

    def factory(
        text: str = "",
        intent: str | None = None,
        slots: Dict[str, Any] | None = None,
        events: List[Dict[str, Any]] | None = None,
        entities: List[Dict[str, Any]] | None = None,
        intent_ranking: List[Dict[str, Any]] | None = None,
        active_loop: Dict[str, Any] | None = None,
        paused: bool = False,
        sender_id: str = "test-user",
    ) -> Tracker:
        events = list(events or [])
        if intent is not None and (not events or events[-1].get("event") != "user"):
            events.append(user_event(text, intent))
        latest_message = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9} if intent else {},
            "entities": entities or [],
            "intent_ranking": intent_ranking or [],
        }
        return Tracker(
            sender_id=sender_id,
            slots=dict(slots or {}),
            latest_message=latest_message,
            events=events,
            paused=paused,
            followup_action=None,
            active_loop=active_loop or {},
            latest_action_name="action_listen",
        )

    return factory


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def uttered(dispatcher: CollectingDispatcher) -> List[str]:
    """The response names a dispatcher collected, in order."""
    return [message["response"] for message in dispatcher.messages]


def slots_of(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


class RedisURL(str):
    """The local Redis URL, with a key prefix of this test's own (deleted afterwards)."""

    prefix: str


@pytest.fixture
def redis_url():
    import uuid

    import redis

    url = RedisURL("redis://127.0.0.1:6379/0")
    url.prefix = f"okpay-test:{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"these tests need Redis on 127.0.0.1:6379 ({error})")
    yield url
    for key in client.scan_iter(url.prefix + "*"):
        client.delete(key)
    client.close()


#: Debian's Chromium, driven through Playwright's Python package (no browser download);
#: scripts/test installs it with apt when missing.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one per test module (starting it is what takes time)."""
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def pytest_collection_modifyitems(config, items) -> None:
    """Marks every test `unit` or `integration`, and `browser` or `destructive` where they apply (tests/slices.py)."""
    from tests.slices import slices

    for item in items:
        path = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        parameters = getattr(getattr(item, "callspec", None), "params", {})
        for mark in sorted(slices(path, item.fixturenames, parameters)):
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture
def support_db(tmp_path):
    """The support database (tickets, agents, review queue) on a SQLite file of this test's, migrated."""
    from bot.database.database import Database
    from bot.database.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def saved_logging():
    """The process's logging as pytest set it, put back after every test.

    `bot.logs.setup.configure_logging` (called by every process's main, which some tests run in-process) makes
    our guarded handler the root's only one: left in place, it would take pytest's capture handlers away from
    the tests after it and rewrite their records."""
    from sanic.log import LOGGING_CONFIG_DEFAULTS

    root = logging.getLogger()
    # An earlier test may have left warnings captured: configure_logging's captureWarnings(True) would then
    # change nothing under pytest's own warning recorder.
    logging.captureWarnings(False)
    saved = (list(root.handlers), root.level, logging.lastResort,
             {name: list(config["handlers"]) for name, config in LOGGING_CONFIG_DEFAULTS["loggers"].items()})
    yield
    handlers, level, last_resort, sanic_handlers = saved
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.lastResort = last_resort
    logging.captureWarnings(False)
    for name, names in sanic_handlers.items():
        LOGGING_CONFIG_DEFAULTS["loggers"][name]["handlers"] = names


@pytest.fixture(params=["sqlite", "postgresql"])
def store_deployment(request, tmp_path):
    """The settings of an embedded (SQLite) and of a replicated (private PostgreSQL database, private Redis)
    deployment, in turn (tests/store_world.py; tests/slices.py marks the PostgreSQL one integration)."""
    from tests.store_world import deployment_settings

    with deployment_settings(request.param, tmp_path) as settings:
        yield settings
