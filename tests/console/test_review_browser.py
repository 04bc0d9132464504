"""The review loop in headless Chromium: an agent flags a misread message in a transcript, a supervisor
corrects it with one click on the review page, and the export carries the correction."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from bot.agents.models import SUPERVISOR
from bot.console.app import create_app
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.settings import Settings
from tests.aiohttp_thread import AiohttpThread
from tests.browser_pages import checked_page, sign_in
from tests.console.conftest import FakeRasa
from tests.insights.generated import Script, write
from tests.servers import free_port
from tests.ticket_factories import PASSWORD, make_agent, make_ticket

TIMEOUT_MS = 15_000
CONVERSATION = "wechat:o_misread"
MISREAD = "我的钱转出去对方一直没收到"


class Served:
    def __init__(self, url: str, ticket: str):
        self.url, self.ticket = url, ticket


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("review") / "okpay.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    now = datetime.now(timezone.utc)
    with database.session() as session:
        make_agent(session, "boss", role=SUPERVISOR, name="主管")
        make_agent(session, "li", name="小李")
        # Yesterday's conversations: one message the assistant did not understand at all.
        write(session, [Script("fallback"), Script("faq")], now - timedelta(days=1), days=1, channels=("widget",))
        ticket = make_ticket(session, CONVERSATION, queued=True, channel="wechat", category="payment_failed")
    rasa = FakeRasa()
    stamp = time.time() - 60
    rasa.add_events(
        CONVERSATION,
        {"event": "action", "name": "action_listen", "timestamp": stamp},
        {"event": "user", "text": MISREAD, "timestamp": stamp + 1, "message_id": "m-misread",
         "parse_data": {"intent": {"name": "faq", "confidence": 0.81}, "entities": []}},
        {"event": "bot", "text": "转账手续费是1%到3%。", "timestamp": stamp + 2},
    )
    port = free_port()
    settings = Settings(database_url=url, tracker_db=Path(path), console_port=port, console_host="127.0.0.1")
    server = AiohttpThread(lambda: create_app(settings, database, rasa), port, name="review-console")
    server.start()
    try:
        yield Served(f"http://127.0.0.1:{port}", ticket.number)
    finally:
        server.stop()
        database.dispose()


@pytest.fixture
def page(browser: Browser, console: Served) -> Iterator[Page]:
    with checked_page(browser, console.url, {"width": 1280, "height": 900}, TIMEOUT_MS) as tab:
        yield tab


def log_in(page: Page, username: str) -> None:
    sign_in(page, username, PASSWORD)


def test_flagged_in_a_transcript_corrected_in_one_click_and_exported(page: Page, console: Served) -> None:
    log_in(page, "li")
    page.goto(f"/tickets/{console.ticket}")
    message = page.locator(".msg-user", has_text=MISREAD)
    expect(message).to_be_visible()
    expect(page.locator(".msg-bot .msg-flag")).to_have_count(0)  # only users' messages can be flagged
    message.locator(".msg-flag").click()
    expect(message.locator(".msg-flag")).to_have_text("已标记")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, "boss")
    page.click("#review-link")
    expect(page).to_have_url(re.compile(r"/review$"))
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    flagged = page.locator("#review-items tbody tr", has_text=MISREAD)
    expect(flagged).to_contain_text("客服标记（小李）")
    expect(flagged).to_contain_text("常见问题（faq）（81%）")  # intents by their Chinese names
    unsure = page.locator("#review-items tbody tr", has_text="啊啊啊")  # the fallback, collected from the store
    expect(unsure).to_contain_text("没听懂")
    flagged.locator(".review-intent").fill("withdraw_not_arrived")
    flagged.locator(".review-correct").click()
    expect(page.locator("#review-items tbody tr", has_text=MISREAD)).to_have_count(0)  # no longer pending
    unsure.locator(".review-dismiss").click()
    expect(page.locator("#review-items tbody tr", has_text="啊啊啊")).to_have_count(0)

    page.select_option("#status", "corrected")
    page.click("#review-refresh")
    expect(page.locator("#review-items tbody tr", has_text=MISREAD)).to_contain_text("已纠正（主管）")
    exported = page.request.get(page.get_attribute("#review-export", "href"))
    assert exported.status == 200
    nlu = yaml.safe_load(exported.text())["nlu"]
    examples = {block["intent"]: str(block["examples"]) for block in nlu}
    assert MISREAD in examples["withdraw_not_arrived"]
    assert "啊啊啊" not in exported.text()  # dismissed: nothing to learn


def test_an_agent_has_no_review_page(page: Page) -> None:
    log_in(page, "li")
    expect(page.locator("#review-link")).to_have_count(0)
    page.goto("/review")
    expect(page).to_have_url(re.compile(r"/$"))
    assert page.request.get("/api/review").status == 403
