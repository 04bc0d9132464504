"""The in-app chat widget in headless Chromium, against the real widget channel and a scripted bot.

Set OKPAY_WIDGET_SCREENSHOTS=<dir> to keep screenshots of the phone and desktop layouts.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, List, Tuple

from playwright.sync_api import Page, expect

from bot.agents.models import Agent
from bot.database.database import get_database
from bot.tickets import store
from tests.ticket_factories import make_agent, make_ticket
from tests.widget.conftest import FOREIGN_PAGE, PHONE, WidgetEnv

BUTTONS = [{"title": "解决了", "payload": "/affirm"}, {"title": "没解决", "payload": "/deny"}]
RATING = [{"title": title, "payload": title[0]}
          for title in ("5分 非常满意", "4分 满意", "3分 一般", "2分 不满意", "1分 很不满意")]
MESSAGES = ".okw-log .okw-msg:not(.okw-msg-welcome)"


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("OKPAY_WIDGET_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"widget-{name}.png"))


def open_widget(page: Page, path: str) -> None:
    """Loads the demo page, opens the panel and waits until the conversation's history is there."""
    page.goto(path)
    page.get_by_test_id("okw-launcher").click()
    expect(page.get_by_test_id("okw-panel")).to_be_visible()
    expect(page.get_by_test_id("okw-input")).to_be_focused()
    wait_for_history(page, 1)


def wait_for_history(page: Page, loads: int) -> None:
    root = page.get_by_test_id("okw-root")
    expect(root).to_have_attribute("data-history-loads", str(loads))
    expect(root).to_have_attribute("data-state", "connected")
    expect(page.get_by_test_id("okw-conn")).to_have_text("")


def conversation(page: Page) -> List[Tuple[str, str]]:
    pairs = page.eval_on_selector_all(
        MESSAGES, "nodes => nodes.map(n => [n.dataset.role, (n.querySelector('.okw-text') || {}).textContent || ''])"
    )
    return [(role, text) for role, text in pairs]


def say(page: Page, text: str) -> None:
    box = page.get_by_test_id("okw-input")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def sent_by(env: WidgetEnv, conversation_id: str) -> List[str]:
    return [m.text for m in env.server.agent.received if m.sender_id == conversation_id]


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_guide_with_buttons_from_the_problem_to_solved(new_page, widget_env: WidgetEnv) -> None:
    steps = {
        "支付失败了": [{"text": "第1步（共2步）：请检查网络后重新支付。解决了吗？", "buttons": BUTTONS}],
        "/deny": [{"text": "第2步（共2步）：请重启 App 再试一次。解决了吗？", "buttons": BUTTONS}],
        "/affirm": [{"text": "太好了，问题已解决！还有什么可以帮您？"}],
    }
    agent = widget_env.server.agent
    agent.script = lambda text: steps.get(text, [{"text": "?"}])
    agent.delay_s = 0.3
    page = new_page()
    open_widget(page, "/widget?user=guide")
    expect(page.get_by_test_id("okw-launcher")).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    box, send = page.get_by_test_id("okw-input"), page.get_by_test_id("okw-send")
    assert box.get_attribute("maxlength") == "2000"

    # Nothing to send: the button is off and Enter does nothing. Shift+Enter is a new line.
    expect(send).to_be_disabled()
    box.fill("   ")
    box.press("Enter")
    expect(send).to_be_disabled()
    box.fill("第一行")
    box.press("Shift+Enter")
    expect(box).to_have_value("第一行\n")
    assert sent_by(widget_env, "widget:u:demo-guide") == []

    # The problem: the bot "types" while it works, then answers with a step and two buttons.
    box.fill("支付失败了")
    expect(send).to_be_enabled()
    box.press("Enter")
    expect(box).to_have_value("")
    typing = page.get_by_test_id("okw-typing")
    expect(typing).to_be_visible()
    expect(typing).to_have_attribute("aria-live", "polite")
    expect(page.locator(".okw-msg-bot .okw-text").last).to_have_text(re.compile("^第1步"))
    expect(typing).to_be_hidden()
    replies = page.locator(".okw-replies button")
    expect(replies).to_have_text(["解决了", "没解决"])
    screenshot(page, "desktop")

    # 没解决: the payload goes to the bot, the title shows as the user's message, the buttons go.
    page.get_by_role("button", name="没解决").click()
    expect(page.locator(".okw-msg-user .okw-text").last).to_have_text("没解决")
    expect(page.locator(".okw-msg-bot .okw-text").last).to_have_text(re.compile("^第2步"))
    assert agent.received[-1].text == "/deny"
    expect(replies).to_have_count(2)  # only the newest step's buttons

    # 解决了 ends the guide.
    page.get_by_role("button", name="解决了").click()
    expect(page.locator(".okw-msg-bot .okw-text").last).to_have_text("太好了，问题已解决！还有什么可以帮您？")
    expect(replies).to_have_count(0)
    assert sent_by(widget_env, "widget:u:demo-guide") == ["支付失败了", "/deny", "/affirm"]
    assert conversation(page) == [
        ("user", "支付失败了"), ("bot", steps["支付失败了"][0]["text"]),
        ("user", "没解决"), ("bot", steps["/deny"][0]["text"]),
        ("user", "解决了"), ("bot", steps["/affirm"][0]["text"]),
    ]

    # The panel sits at the bottom right above the launcher; Escape closes it and focus returns.
    panel = page.get_by_test_id("okw-panel").bounding_box()
    assert panel is not None and panel["x"] + panel["width"] <= 1280 and panel["y"] >= 0
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("okw-panel")).to_be_hidden()
    expect(page.get_by_test_id("okw-launcher")).to_be_focused()


def test_reload_and_reconnect_keep_the_history_without_duplicates(new_page, widget_env: WidgetEnv) -> None:
    for path in ("/widget?user=reload", "/widget"):
        page = new_page()
        open_widget(page, path)
        say(page, f"提现没到账 {path}")
        expect(page.locator(MESSAGES)).to_have_count(2)
        before = conversation(page)
        first_sender = widget_env.server.agent.received[-1].sender_id
        if path == "/widget":
            assert first_sender.startswith("widget:a:")
            expect(page.get_by_test_id("demo-user")).to_contain_text("匿名访客")
        else:
            assert first_sender == "widget:u:demo-reload"
            expect(page.get_by_test_id("demo-user")).to_contain_text("演示用户 reload")

        page.reload()
        page.get_by_test_id("okw-launcher").click()
        wait_for_history(page, 1)
        assert conversation(page) == before

        # A dropped connection: socket.io reconnects by itself and the history is asked for again.
        page.evaluate("window.okpayWidget.socket.io.engine.close()")
        wait_for_history(page, 2)
        assert conversation(page) == before

        say(page, "还在吗")
        expect(page.locator(MESSAGES)).to_have_count(4)
        assert conversation(page)[2:] == [("user", "还在吗"), ("bot", "echo: 还在吗")]
        assert widget_env.server.agent.received[-1].sender_id == first_sender  # the same conversation


def test_a_message_typed_in_another_tab_shows_in_both(browser, widget_env: WidgetEnv) -> None:
    context = browser.new_context(base_url=widget_env.url, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        first, second = context.new_page(), context.new_page()
        open_widget(first, "/widget?user=tabs")
        open_widget(second, "/widget?user=tabs")
        say(first, "两个窗口")
        for tab in (first, second):
            expect(tab.locator(MESSAGES)).to_have_count(2)
            assert conversation(tab) == [("user", "两个窗口"), ("bot", "echo: 两个窗口")]
    finally:
        context.close()


def test_an_anonymous_token_the_server_refuses_is_forgotten(new_page, widget_env: WidgetEnv) -> None:
    page = new_page()
    stale = {widget_env.server.url: "expired.or.forged"}
    page.add_init_script(f"localStorage.setItem('okpay-widget:anon', {json.dumps(json.dumps(stale))})")
    open_widget(page, "/widget")
    stored = json.loads(page.evaluate("localStorage.getItem('okpay-widget:anon')"))
    assert stored[widget_env.server.url] not in ("", "expired.or.forged")
    expect(page.get_by_test_id("okw-notice")).to_be_hidden()
    say(page, "你好")
    expect(page.locator(".okw-msg-bot .okw-text").last).to_have_text("echo: 你好")


def test_an_agent_message_sent_later_shows_the_agent_and_wakes_a_closed_panel(new_page, widget_env: WidgetEnv) -> None:
    page = new_page()
    open_widget(page, "/widget?user=alice")
    page.get_by_test_id("okw-close").click()
    expect(page.get_by_test_id("okw-panel")).to_be_hidden()
    expect(page.get_by_test_id("okw-launcher")).to_be_focused()

    message = {"text": "您好，我是客服小王，正在帮您查这笔提现。", "agent": {"name": "小王", "number": "A007"}}
    widget_env.server.run(widget_env.server.output("widget").send_response("widget:u:demo-alice", dict(message)))
    badge = page.get_by_test_id("okw-badge")
    expect(badge).to_have_text("1")
    expect(page.get_by_test_id("okw-launcher")).to_have_attribute("aria-label", re.compile("1 条新消息"))

    page.get_by_test_id("okw-launcher").click()
    expect(badge).to_be_hidden()
    shown = page.locator(".okw-msg-agent")
    expect(shown).to_have_count(1)
    expect(shown.get_by_test_id("okw-agent")).to_have_text("客服 小王 · 工号 A007")
    expect(shown.locator(".okw-text")).to_have_text(message["text"])
    look = "n => getComputedStyle(n.querySelector('.okw-bubble')).backgroundColor"
    assert shown.evaluate(look) != page.locator(".okw-msg-welcome").evaluate(look), "agent bubbles look like the bot's"


def test_the_queue_banner_follows_the_ticket_from_waiting_to_an_agent(new_page, widget_env: WidgetEnv) -> None:
    conversation_id = "widget:u:demo-queue"
    with get_database().session() as session:
        ticket = make_ticket(session, conversation_id=conversation_id, queued=True)
        number, ticket_id = ticket.number, ticket.id
    page = new_page()
    open_widget(page, "/widget?user=queue&poll_ms=300")
    banner = page.get_by_test_id("okw-queue")
    expect(banner).to_have_attribute("data-status", "queued")
    expect(banner).to_contain_text("正在为您转接人工客服")
    expect(banner).to_contain_text("您排在第 1 位")
    expect(banner).to_contain_text(f"工单 {number}")

    with get_database().session() as session:
        agent = make_agent(session, name="小王")
        agent_id, agent_number = agent.id, agent.agent_number
        store.claim(session, ticket_id, agent, capacity=3)
    expect(banner).to_have_attribute("data-status", "assigned", timeout=5_000)
    expect(banner).to_have_text(f"客服 小王（工号 {agent_number}）正在为您服务")

    with get_database().session() as session:
        store.resolve(session, store.get_ticket(session, ticket_id), session.get(Agent, agent_id))
    expect(banner).to_be_hidden(timeout=5_000)


def test_rating_buttons_are_tappable_and_wrap_at_phone_width(new_page, widget_env: WidgetEnv) -> None:
    replies = {"评价": [{"text": "耽误您一分钟：请给这次人工服务打个分，5分最满意，1分最不满意。", "buttons": RATING}],
               "5": [{"text": "感谢您的评价！"}]}
    widget_env.server.agent.script = lambda text: replies.get(text, [{"text": "?"}])
    page = new_page(viewport=PHONE)
    open_widget(page, "/widget?user=rater")
    say(page, "评价")
    buttons = page.locator(".okw-replies button")
    expect(buttons).to_have_text([r["title"] for r in RATING])
    boxes = [buttons.nth(i).bounding_box() for i in range(len(RATING))]
    assert all(b is not None and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] for b in boxes)
    assert all(b["height"] >= 36 for b in boxes), "buttons too small to tap"
    assert len({round(b["y"]) for b in boxes}) > 1, "five rating buttons should wrap onto several rows"
    assert no_horizontal_scroll(page)
    screenshot(page, "phone-rating")

    page.get_by_role("button", name="5分 非常满意").click()
    expect(page.locator(".okw-msg-bot .okw-text").last).to_have_text("感谢您的评价！")
    assert widget_env.server.agent.received[-1].text == "5"
    expect(page.locator(".okw-msg-user .okw-text").last).to_have_text("5分 非常满意")
    expect(buttons).to_have_count(0)


def test_at_phone_width_the_panel_fills_the_screen(new_page, widget_env: WidgetEnv) -> None:
    page = new_page(viewport=PHONE)
    page.goto("/widget?user=phone")
    launcher = page.get_by_test_id("okw-launcher")
    box = launcher.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"] and box["y"] + box["height"] <= PHONE["height"]
    screenshot(page, "phone-closed")
    launcher.click()
    wait_for_history(page, 1)

    panel = page.get_by_test_id("okw-panel").bounding_box()
    assert panel == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    for test_id in ("okw-input", "okw-send", "okw-close"):
        expect(page.get_by_test_id(test_id)).to_be_in_viewport()
    expect(launcher).to_be_hidden()

    say(page, "https://example.com/" + "a" * 300 + " 😀 " + "8" * 80)
    expect(page.locator(MESSAGES)).to_have_count(2)
    assert no_horizontal_scroll(page)
    assert page.get_by_test_id("okw-log").evaluate("n => n.scrollWidth <= n.clientWidth")
    screenshot(page, "phone-open")

    page.get_by_test_id("okw-close").click()
    expect(launcher).to_be_visible()


def test_markup_in_messages_is_shown_as_text(new_page, widget_env: WidgetEnv) -> None:
    evil = "<img src=x onerror=alert(1)>"
    widget_env.server.agent.script = lambda text: [
        {"text": evil, "buttons": [{"title": "<b onclick=alert(2)>粗</b>", "payload": "/x"}]},
    ]
    page = new_page()
    open_widget(page, "/widget?user=xss")
    say(page, "<script>alert(3)</script>")
    expect(page.locator(".okw-msg-bot .okw-text").last).to_have_text(evil)
    expect(page.locator(".okw-msg-user .okw-text").last).to_have_text("<script>alert(3)</script>")
    expect(page.locator(".okw-replies button")).to_have_text(["<b onclick=alert(2)>粗</b>"])

    agent = {"text": "<a href=javascript:alert(4)>点我</a>", "agent": {"name": "<i>小王</i>", "number": "<u>1</u>"}}
    widget_env.server.run(widget_env.server.output("widget").send_response("widget:u:demo-xss", dict(agent)))
    expect(page.get_by_test_id("okw-agent")).to_have_text("客服 <i>小王</i> · 工号 <u>1</u>")
    assert page.locator(".okw-log img, .okw-log script, .okw-log b, .okw-log a, .okw-log i").count() == 0
    # (an alert would have failed the test through the page's dialog handler)


def test_an_invalid_host_token_shows_a_notice_and_never_falls_back_to_anonymous(
    new_page, widget_env: WidgetEnv
) -> None:
    page = new_page()
    connects: List[str] = []

    def watch(socket: Any) -> None:
        socket.on("framesent", lambda payload: connects.append(payload) if str(payload).startswith("40") else None)

    page.on("websocket", watch)
    page.goto(FOREIGN_PAGE)
    page.get_by_test_id("okw-launcher").click()
    notice = page.get_by_test_id("okw-notice")
    expect(notice).to_have_text("登录状态已失效，请重新打开客服窗口。")
    expect(notice).to_have_attribute("role", "alert")
    expect(page.get_by_test_id("okw-root")).to_have_attribute("data-state", "stopped")
    expect(page.get_by_test_id("okw-input")).to_be_disabled()
    expect(page.get_by_test_id("okw-send")).to_be_disabled()

    page.wait_for_timeout(700)  # time enough for a wrong fallback to connect
    assert connects and all('"token"' in str(frame) for frame in connects), connects
    assert page.evaluate("localStorage.getItem('okpay-widget:anon')") is None
    expect(page.get_by_test_id("okw-root")).to_have_attribute("data-history-loads", "0")


def test_an_agent_typing_in_the_console_shows_in_the_widget_until_their_message_arrives(
        new_page, widget_env: WidgetEnv, monkeypatch) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from bot.console.rasa_client import RasaClient
    from bot.runtime.api_auth import api_headers
    from bot.settings import get_settings

    secret = "typing-test-secret-" + "x" * 24
    monkeypatch.setenv("OKPAY_RASA_TOKEN", secret)
    get_settings.cache_clear()
    try:
        page = new_page()
        open_widget(page, "/widget?user=alice")
        typing = page.get_by_test_id("okw-typing")
        expect(typing).to_be_hidden()

        def tell(conversation_id: str) -> bool:
            """The console's client, on a loop of its own (Playwright's runs in this thread)."""
            async def call() -> bool:
                client = RasaClient(widget_env.server.url, secret)
                try:
                    return await client.agent_typing(conversation_id)
                finally:
                    await client.close()

            with ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, call()).result(10)

        assert tell("widget:u:demo-alice") is True
        expect(typing).to_be_visible()
        expect(typing).to_contain_text("客服正在输入…")
        message = {"text": "您好，我来帮您查。", "agent": {"name": "小王", "number": "A007"}}
        widget_env.server.run(widget_env.server.output("widget").send_response("widget:u:demo-alice", dict(message)))
        expect(page.locator(".okw-msg-agent")).to_have_count(1)
        expect(typing).to_be_hidden()

        # Channels that cannot show it say so; nobody without the API's token can make a widget show it.
        assert tell("wechat:o_user1") is False
        url = f"{widget_env.server.url}/webhooks/okpay_events/conversations/widget:u:demo-alice/typing"
        assert requests.post(url, json={"typing": True}, timeout=5).status_code == 401
        forged = api_headers("another-secret-" + "y" * 24)
        assert requests.post(url, json={"typing": True}, headers=forged, timeout=5).status_code == 401
        expect(typing).to_be_hidden()
    finally:
        get_settings.cache_clear()
