"""The support journey in the chat widget: real Chromium, real bot, real console.

The demo page of the console (`/widget?user=…`) opens the widget on Rasa's
socket.io; the user walks a guide with its buttons, asks for a person, fills
in the ticket, waits (the queue banner shows the place), gets the agent's
reply in the page, rates the help, and finds it all again after a reload.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser_pages import checked_page
from tests.e2e.console_agent import ConsoleAgent
from tests.e2e.ticket_form import answer_until_ticket

pytestmark = pytest.mark.e2e
BOT_TEXTS = ".okw-msg-bot .okw-text"


@pytest.fixture
def page(browser, stack) -> Iterator[Page]:
    with checked_page(browser, stack.console_url, {"width": 390, "height": 844}, 20_000) as tab:
        yield tab


def open_widget(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_test_id("okw-launcher").click()
    expect(page.get_by_test_id("okw-root")).to_have_attribute("data-state", "connected")


def say(page: Page, text: str) -> None:
    before = page.locator(BOT_TEXTS).count()
    box = page.get_by_test_id("okw-input")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(BOT_TEXTS)).not_to_have_count(before)  # the bot answered
    expect(page.get_by_test_id("okw-typing")).to_be_hidden()


def last_bot_text(page: Page) -> str:
    return page.locator(BOT_TEXTS).last.inner_text()


def test_the_journey_in_the_widget(page: Page, stack, chat, agents):
    agent = ConsoleAgent(stack, agents[0])  # signed in, so an agent is online and the ticket is queued
    open_widget(page, "/widget?user=journey&poll_ms=500")

    say(page, "我付款一直失败，怎么回事")
    page.locator(".okw-replies").get_by_role("button", name="转人工").click()
    expect(page.locator(BOT_TEXTS).last).to_have_text(chat.response("utter_ask_ticket_contact"))
    def answer(text: str) -> str:
        say(page, text)
        return last_bot_text(page)

    number = answer_until_ticket(chat, answer, answer("13812345678"))

    banner = page.get_by_test_id("okw-queue")
    expect(banner).to_have_attribute("data-status", "queued")
    expect(banner).to_contain_text(number)

    agent.post(f"/api/tickets/{number}/claim")
    expect(banner).to_have_attribute("data-status", "assigned")
    expect(banner).to_contain_text("小李")
    agent.post(f"/api/tickets/{number}/reply", {"text": "您好，我来帮您查这笔付款。"})
    agent_message = page.locator(".okw-msg-agent").last
    expect(agent_message.locator(".okw-text")).to_have_text("您好，我来帮您查这笔付款。")
    expect(agent_message.get_by_test_id("okw-agent")).to_contain_text("小李")

    agent.post(f"/api/tickets/{number}/resolve")
    expect(page.locator(BOT_TEXTS).last).to_have_text(chat.response("utter_ask_rating_score"))
    expect(banner).to_be_hidden()
    page.locator(".okw-replies").get_by_role("button", name="5分 非常满意").click()
    expect(page.locator(BOT_TEXTS).last).to_have_text(chat.response("utter_ask_rating_comment"))
    say(page, "处理得很快")
    expect(page.locator(BOT_TEXTS).last).to_have_text(chat.response("utter_rating_thanks"))
    assert agent.get(f"/api/tickets/{number}")["ticket"]["rating"] == {"score": 5, "comment": "处理得很快"}

    # A reload brings the whole conversation back, the agent's message included, once.
    messages = page.locator(".okw-log .okw-msg:not(.okw-msg-welcome)")
    before = messages.all_inner_texts()
    page.reload()
    page.get_by_test_id("okw-launcher").click()
    expect(page.get_by_test_id("okw-root")).to_have_attribute("data-state", "connected")
    expect(page.locator(".okw-msg-agent .okw-text")).to_have_count(1)
    page.wait_for_timeout(1000)
    assert messages.all_inner_texts() == before
    expect(page.locator(".okw-msg-agent .okw-text")).to_have_text(["您好，我来帮您查这笔付款。"])
