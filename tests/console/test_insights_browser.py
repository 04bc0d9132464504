"""The analytics page in headless Chromium: charts drawn from the figures, tables beside them, filters, exports."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.agents.models import SUPERVISOR
from bot.console.app import create_app
from bot.content.catalog import load_guides
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.settings import Settings
from tests.aiohttp_thread import AiohttpThread
from tests.browser_pages import checked_page, sign_in
from tests.console.conftest import FakeRasa
from tests.insights.generated import Script, write
from tests.servers import free_port
from tests.ticket_factories import PASSWORD, make_agent

TIMEOUT_MS = 15_000
SCRIPTS = ([Script("solved", "payment_failed", steps=2)] * 4 + [Script("left", "payment_failed", steps=3)] * 2
           + [Script("ticket", "withdraw", steps=3, rating=5)] * 2 + [Script("faq")] * 3 + [Script("fallback")])
CHANNELS = ("wechat", "widget", "telegram")


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("insights") / "okpay.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        make_agent(session, "boss", role=SUPERVISOR, name="主管")
        make_agent(session, "li", name="小李")
        # The last two weeks, so the page's default period (the last 30 days) shows them.
        start = datetime.now(timezone.utc) - timedelta(days=15)
        write(session, SCRIPTS, start, days=14, channels=CHANNELS, agent=make_agent(session, "wang"))
    port = free_port()
    settings = Settings(database_url=url, tracker_db=Path(path), console_port=port, console_host="127.0.0.1")
    server = AiohttpThread(lambda: create_app(settings, database, FakeRasa()), port, name="insights-console")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        database.dispose()


@pytest.fixture
def page(browser: Browser, console_url: str) -> Iterator[Page]:
    with checked_page(browser, console_url, {"width": 1280, "height": 900}, TIMEOUT_MS) as tab:
        yield tab


def log_in(page: Page, username: str) -> None:
    sign_in(page, username, PASSWORD)


def drawn(page: Page, chart: str) -> bool:
    """Whether Chart.js drew something on the canvas (a chart object and non-blank pixels)."""
    return page.evaluate("""(id) => {
        const canvas = document.getElementById(id);
        if (!window.Chart || !window.Chart.getChart(canvas)) return false;
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
        return false;
    }""", f"chart-{chart}")


def table_rows(page: Page, table: str) -> List[List[str]]:
    return page.eval_on_selector_all(f"#table-{table} tbody tr",
                                     "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))")


def test_a_supervisor_sees_every_chart_with_its_numbers(page: Page) -> None:
    log_in(page, "boss")
    page.click("#insights-link")
    expect(page).to_have_url(re.compile(r"/insights$"))
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#card-conversations")).to_have_text(str(len(SCRIPTS)))
    expect(page.locator("#card-satisfaction")).to_have_text("5")
    for chart in ("daily", "intents", "guides", "steps", "categories", "statuses", "agents", "satisfaction"):
        assert drawn(page, chart), f"the {chart} chart was not drawn"
    guides = {row[0]: row[1:] for row in table_rows(page, "guides")}
    payment, withdraw = load_guides()["payment_failed"].title, load_guides()["withdraw"].title
    assert guides[payment] == ["6", "4", "0", "0", "2"]  # started, solved, ticket, exhausted, left
    assert guides[withdraw] == ["2", "0", "2", "0", "0"]
    # The step chart follows the guide chosen: payment_failed (first) shows who left at step 3.
    steps = table_rows(page, "steps")
    assert [row[1:] for row in steps[:3]] == [["6", "0", "0"], ["6", "4", "0"], ["2", "0", "2"]]
    page.select_option("#step-guide", "withdraw")
    expect(page.locator("#table-steps tbody tr").first).to_contain_text("2")
    assert table_rows(page, "satisfaction")[4] == ["5 分", "2"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"


def test_the_channel_filter_and_the_export_links(page: Page) -> None:
    log_in(page, "boss")
    page.goto("/insights")
    expect(page.locator("body")).to_have_attribute("data-loaded", "true")
    page.select_option("#channel", "wechat")
    page.click("#refresh")
    wechat = sum(1 for i in range(len(SCRIPTS)) if CHANNELS[i % len(CHANNELS)] == "wechat")
    expect(page.locator("#card-conversations")).to_have_text(str(wechat))
    href = page.get_attribute("#export-conversations-csv", "href")
    assert "channel=wechat" in href and href.startswith("/api/insights/export/conversations.csv?")
    exported = page.request.get(href)
    assert exported.status == 200
    lines = exported.text().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("conversation_id,channel,time,speaker,text")
    assert all(line.startswith("wechat:") for line in lines[1:])


def test_an_agent_has_no_insights(page: Page) -> None:
    log_in(page, "li")
    expect(page.locator("#insights-link")).to_have_count(0)
    page.goto("/insights")
    expect(page).to_have_url(re.compile(r"/$"))
