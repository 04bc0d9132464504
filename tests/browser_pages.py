"""One browser tab per test, failing the test on any JavaScript error or Content-Security-Policy block."""
from __future__ import annotations

import contextlib
import re
from typing import Any, Dict, Iterator, List

from playwright.sync_api import Browser, Page, expect


@contextlib.contextmanager
def checked_page(browser: Browser, base_url: str, viewport: Dict[str, int], timeout_ms: int) -> Iterator[Page]:
    """A fresh context and tab on `base_url`; after the test, no page error and nothing the CSP blocked."""
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN")
    context.set_default_timeout(timeout_ms)
    tab = context.new_page()
    errors: List[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # Whatever the Content-Security-Policy blocks (an inline script, a style attribute …) is logged as an error.
    tab.on("console", lambda message: _csp_block(message, errors))
    try:
        yield tab
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _csp_block(message: Any, errors: List[str]) -> None:
    if "Content Security Policy" in message.text:
        errors.append(message.text)


def sign_in(page: Page, username: str, password: str) -> None:
    """Signs in on the console's login page and waits for the queue page."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page).to_have_url(re.compile(r"/$"))
