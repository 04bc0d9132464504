"""The agent console in a real browser: headless Chromium driven by Playwright.

The console runs in a background thread (its own asyncio loop) on a free port,
against a fresh SQLite ticket database and a fake Rasa client that records
what the console asks Rasa to do, serves a tracker's events and publishes each
event it stores on an event stream, as Rasa's broker does (`bot.stream`); the
console follows that stream.
"""
from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any, Dict, Iterator, List

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.console.agents import create_agent
from bot.console.app import create_app
from bot.database.database import Database
from bot.database.migrate import upgrade
from bot.settings import Settings
from bot.stream.broker import StreamBroker
from bot.stream.feed import EventFeed
from bot.tickets import store
from tests.aiohttp_thread import AiohttpThread
from tests.browser_pages import checked_page
from tests.console.conftest import FakeRasa
from tests.servers import free_port

TIMEOUT_MS = 10_000
PASSWORD = "correct-horse-42"
CONVERSATION = "user-4711"
PUSHED_CONVERSATION = "widget:u:push-1"


class Console:
    def __init__(self, url: str, database: Database, rasa: FakeRasa, tickets: Dict[str, str]):
        self.url, self.database, self.rasa, self.tickets = url, database, rasa, tickets


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    tmp = tmp_path_factory.mktemp("console")
    url = f"sqlite:///{tmp}/tickets.db"
    port = free_port()
    settings = Settings(database_url=url, console_port=port, console_host="127.0.0.1", agent_capacity=3)
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        create_agent(session, "li", "小李", "KF1001", PASSWORD)
        create_agent(session, "wang", "小王", "KF1002", PASSWORD)
        live = store.open_ticket(session, store.TicketDraft(
            conversation_id=CONVERSATION, channel="rest", category="withdraw_not_arrived", priority="high",
            contact_phone="13800138000", txn_time="昨天晚上8点", amount=Decimal("500.00"),
            description="提现500元三天了还没到账", steps_tried=["payment_failed:network"], handoff_reason="asked",
        ), "Asia/Shanghai")
        store.enqueue(session, live)
        offline = store.open_ticket(session, store.TicketDraft(
            conversation_id="user-night", channel="rest", category="reset_password",
            contact_email="night@example.com", description="半夜收不到重置密码的邮件",
        ), "Asia/Shanghai")
        pushed = store.open_ticket(session, store.TicketDraft(
            conversation_id=PUSHED_CONVERSATION, channel="widget", category="payment_failed",
            description="付款一直失败", handoff_reason="asked",
        ), "Asia/Shanghai")
        store.enqueue(session, pushed)
        tickets = {"live": live.number, "offline": offline.number, "pushed": pushed.number}

    stream = f"sqlite:///{tmp}/event_stream.db"
    rasa = FakeRasa(broker=StreamBroker(stream))
    rasa.add_events(
        CONVERSATION,
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": "我的提现三天了还没到账", "timestamp": 2.0},
        {"event": "bot", "text": "很抱歉给您带来不便。您试过下面这些方法吗？", "timestamp": 3.0,
         "data": {"buttons": [{"title": "解决了", "payload": "/affirm"}, {"title": "转人工", "payload": "/human"}]}},
        {"event": "user", "text": "/EXTERNAL_ping", "timestamp": 3.5},
        {"event": "user", "text": "我要找人工客服", "timestamp": 4.0},
        {"event": "pause", "timestamp": 5.0},
    )
    server = AiohttpThread(lambda: create_app(settings, database, rasa, feed=EventFeed(stream)), port, name="console")
    server.start()
    try:
        yield Console(f"http://127.0.0.1:{port}", database, rasa, tickets)
    finally:
        server.stop()
        database.dispose()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    with checked_page(browser, console.url, {"width": 1280, "height": 800}, TIMEOUT_MS) as tab:
        yield tab


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def test_wrong_password_shows_the_error_and_stays_on_login(page: Page, console: Console) -> None:
    log_in(page, "li", "not-the-password")
    notice = page.locator(".notice")
    expect(notice).to_be_visible(timeout=TIMEOUT_MS)
    expect(notice).to_contain_text("用户名或密码不对")
    expect(page).to_have_url(re.compile(r"/login$"))
    # The API refuses such a sign-in with the same message.
    response = page.request.post("/api/login", data={"username": "li", "password": "nope-nope"})
    assert response.status == 401
    assert response.json()["error"] == "bad_credentials"


def test_pages_need_a_sign_in_and_api_posts_need_json(page: Page, console: Console) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.request.get("/api/queue").status == 401
    refused = page.request.post("/api/presence", form={"status": "online"})
    assert refused.status == 415
    assert refused.json()["error"] == "json_required"


def test_an_agent_handles_a_conversation_from_queue_to_resolution(page: Page, console: Console, browser: Browser) -> None:
    rasa, number = console.rasa, console.tickets["live"]

    # Sign in: the queue page with the agent's name and number.
    log_in(page, "li", PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#agent-name")).to_have_text("小李")
    expect(page.locator("#agent-number")).to_have_text("KF1001")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"

    # The waiting ticket, with its category label and the red 加急 badge; the offline one under 待跟进.
    row = page.locator(f"#waiting [data-number='{number}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("提现未到账")
    expect(row.locator(".badge-high")).to_have_text("加急")
    expect(row).to_contain_text("提现500元三天了还没到账")
    expect(row.locator(".cell-wait")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(page.locator(f"#open [data-number='{console.tickets['offline']}']")).to_contain_text("忘记密码")
    expect(page.locator("#mine")).to_contain_text("您目前没有正在处理的对话")

    # Claim it: the ticket page opens and Rasa is asked to introduce the agent.
    row.get_by_role("button", name="接入").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{number}$"))
    introduced = rasa.called("introduce_agent")
    assert introduced == [(CONVERSATION, "小李", "KF1001", "rest")]
    expect(page.locator("#t-status")).to_have_text("处理中")
    expect(page.locator("#ticket-fields")).to_contain_text("检查网络")  # steps tried, by label
    expect(page.locator("#ticket-fields")).to_contain_text("13800138000")
    expect(page.locator("#claim")).to_be_hidden()

    # A second agent cannot claim the conversation any more.
    other = browser.new_context(base_url=console.url)
    try:
        signed_in = other.request.post("/api/login", data={"username": "wang", "password": PASSWORD})
        assert signed_in.ok
        # Without the sign-in's CSRF token a POST is refused before anything else …
        forged = other.request.post(f"/api/tickets/{number}/claim", data={})
        assert forged.status == 403 and forged.json()["error"] == "csrf"
        # … with it, the claim is refused because li has the conversation.
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
        refused = other.request.post(f"/api/tickets/{number}/claim", data={}, headers=csrf)
        assert refused.status == 409
        assert refused.json()["error"] == "already_claimed"
        assert refused.json()["message"] == "这个对话已经被其他客服接走了。"
    finally:
        other.close()
    assert len(rasa.called("introduce_agent")) == 1

    # The transcript: the user's earlier messages, bot buttons as chips, the handoff marker.
    transcript = page.locator("#transcript")
    expect(transcript.locator(".msg-user")).to_have_count(2)
    expect(transcript.locator(".msg-user").first).to_contain_text("我的提现三天了还没到账")
    expect(transcript.locator(".msg-bot .chip")).to_have_text(["解决了", "转人工"])
    expect(transcript.locator(".msg-system")).to_have_text("已转人工")
    expect(transcript).not_to_contain_text("/EXTERNAL_ping")

    # A new user message shows up without a reload.
    rasa.add_events(CONVERSATION, {"event": "user", "text": "请问现在能查到吗？", "timestamp": 30.0})
    expect(transcript.locator(".msg-user")).to_have_count(3, timeout=TIMEOUT_MS)
    expect(transcript.locator(".msg-user").last).to_have_text(re.compile("请问现在能查到吗？"))

    # A canned reply goes into the box; the agent's reply is sent as the agent.
    page.select_option("#canned", label="请稍等")
    expect(page.locator("#reply-text")).to_have_value("好的，我这边帮您查一下，请稍等一两分钟。")
    page.fill("#reply-text", "您好，我是小李，正在帮您查这笔提现。")
    page.click("#send")
    expect(page.locator("#reply-text")).to_have_value("")
    said = rasa.called("say_as_agent")
    assert len(said) == 1
    conversation, text, agent, channel = said[0]
    assert (conversation, text, channel) == (CONVERSATION, "您好，我是小李，正在帮您查这笔提现。", "rest")
    assert agent["name"] == "小李" and agent["number"] == "KF1001"
    agent_message = transcript.locator(".msg-agent")
    expect(agent_message).to_have_count(1)
    expect(agent_message).to_contain_text("客服 小李（KF1001）")
    expect(agent_message).to_contain_text("正在帮您查这笔提现")

    # Ctrl+Enter sends too.
    page.fill("#reply-text", "已经查到了，预计今天到账。")
    page.press("#reply-text", "Control+Enter")
    expect(page.locator("#reply-text")).to_have_value("")
    assert [call[1] for call in rasa.called("say_as_agent")][-1] == "已经查到了，预计今天到账。"

    # An internal note: listed on the page, never sent to Rasa.
    calls_before = rasa.call_count()
    page.fill("#note-text", "用户银行卡是农业银行，已联系财务核实")
    page.click("#add-note")
    expect(page.locator("#notes .note")).to_have_count(1)
    expect(page.locator("#notes")).to_contain_text("用户银行卡是农业银行，已联系财务核实")
    expect(page.locator("#note-text")).to_have_value("")
    assert rasa.call_count() == calls_before
    expect(transcript).not_to_contain_text("农业银行")

    # Resolve (after confirming): 已解决, the conversation goes back to the bot, the reply box is off.
    dialogs: List[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("#resolve")
    expect(page.locator("#t-status")).to_have_text("已解决")
    assert dialogs and "解决" in dialogs[0]
    assert rasa.called("hand_back") == [(CONVERSATION, number, "rest")]
    expect(page.locator("#reply-text")).to_be_disabled()
    expect(page.locator("#send")).to_be_disabled()
    expect(page.locator("#resolve")).to_be_hidden()
    expect(transcript.locator(".msg-system").last).to_have_text("已交还机器人")

    # Back on the queue: only the other test's ticket waits, nothing is mine.
    page.goto("/")
    expect(page.locator("#waiting [data-number]")).to_have_count(1)
    expect(page.locator(f"#waiting [data-number='{console.tickets['pushed']}']")).to_have_count(1)
    expect(page.locator("#mine [data-number]")).to_have_count(0)

    # Presence and sign-out from the header.
    page.click("#presence-away")
    expect(page.locator("#presence-away")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#presence-online")).to_have_attribute("aria-pressed", "false")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login$"))
    assert page.request.get("/api/queue").status == 401


def test_an_open_ticket_page_shows_a_new_user_message_by_push_and_asks_rasa_nothing_at_rest(
        page: Page, console: Console) -> None:
    rasa, number = console.rasa, console.tickets["pushed"]
    log_in(page, "li", PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    before = rasa.reads
    page.goto(f"/tickets/{number}")
    expect(page.locator("body[data-live='on']")).to_have_count(1)
    transcript = page.locator("#transcript")
    for _ in range(50):  # the page's first read of the conversation
        if rasa.reads > before:
            break
        page.wait_for_timeout(100)
    reads = rasa.reads
    assert reads == before + 1
    page.wait_for_timeout(5000)
    assert rasa.reads == reads, "the open page asked Rasa for the conversation while nothing happened"

    started = time.monotonic()
    rasa.add_events(PUSHED_CONVERSATION, {"event": "user", "text": "付款还是失败，怎么办", "timestamp": 60.0})
    expect(transcript.locator(".msg-user").last).to_have_text(re.compile("付款还是失败"), timeout=1000)
    print(f"a user's message on the open page {time.monotonic() - started:.3f} s after Rasa stored it")
    assert rasa.reads == reads + 1  # the new lines only, once

