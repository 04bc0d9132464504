"""The chat widget in a real browser: the widget channel, the demo page, a ticket store, Chromium.

One of each per module (starting Chromium and the servers is what takes time);
every test gets a fresh browser context, so storage and sockets never leak
between tests. No model and no Rasa: the channel server's `FakeAgent` plays
the bot (`widget_env.server.agent.script`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, List

import pytest
from aiohttp import web

from bot.channels.conversation_events import ConversationEventsInput
from bot.channels.widget import WidgetInput
from bot.database.database import get_database
from bot.database.migrate import upgrade
from bot.settings import Settings, reset_settings_cache
from bot.widget.routes import demo_page, widget_routes
from tests.aiohttp_thread import AiohttpThread
from tests.channels.conftest import ChannelServer
from tests.servers import free_port

SECRET = "widget-browser-test-secret-0123456789"
FOREIGN_SECRET = "not-the-widget-secret-0123456789"
#: A demo page whose user token is signed with FOREIGN_SECRET, so the widget's server refuses it.
FOREIGN_PAGE = "/foreign-host/widget"
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@dataclass
class WidgetEnv:
    server: ChannelServer  # Rasa's side: the widget channel and the fake bot
    pages: AiohttpThread      # the console's side: GET /widget and /widget/static
    settings: Settings     # what the page server was built with

    @property
    def url(self) -> str:
        return self.pages.url


@pytest.fixture(scope="module")
def ticket_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite ticket store, the configured one for the whole module (queue status reads it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('widget-tickets') / 'tickets.db'}"
    upgrade(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OKPAY_DATABASE_URL", url)
        reset_settings_cache()
        try:
            yield url
        finally:
            get_database().dispose()
    reset_settings_cache()


@pytest.fixture(scope="module")
def widget_env(ticket_store: str) -> Iterator[WidgetEnv]:
    page_port = free_port()
    # With the route the console tells an agent's typing through (bot/channels/conversation_events.py).
    server = ChannelServer([WidgetInput(jwt_secret=SECRET, allowed_origins=[f"http://127.0.0.1:{page_port}"]),
                            ConversationEventsInput()])
    server.start()
    settings = Settings(widget_jwt_secret=SECRET, widget_socket_url=server.url, database_url=ticket_store)

    # The same demo page, as a host app whose token the widget's server does not accept would serve it.
    # (Served here rather than through Playwright's request interception: Chromium's local network
    # checks block a fulfilled page's sockets to 127.0.0.1.)
    foreign = settings.copy(update={"widget_jwt_secret": FOREIGN_SECRET})

    async def foreign_host(request: web.Request) -> web.Response:
        return web.Response(text=demo_page(foreign, "mallory"), content_type="text/html")

    def make_app() -> web.Application:
        app = web.Application()
        app.add_routes(widget_routes(settings))
        app.add_routes([web.get(FOREIGN_PAGE, foreign_host)])
        return app

    pages = AiohttpThread(make_app, page_port, name="widget pages")
    try:
        pages.start()
        yield WidgetEnv(server, pages, settings)
    finally:
        pages.stop()
        server.stop()


@pytest.fixture(autouse=True)
def fresh_bot(request: pytest.FixtureRequest) -> None:
    """Every test starts with the default echo bot, fast and working."""
    if "widget_env" not in request.fixturenames:
        return
    env: WidgetEnv = request.getfixturevalue("widget_env")
    agent = env.server.agent
    agent.script = lambda text: [{"text": f"echo: {text}"}]
    agent.delay_s, agent.fail = 0.0, False


@pytest.fixture
def new_page(browser: Any, widget_env: WidgetEnv) -> Iterator[Callable[..., Any]]:
    """`new_page(viewport=PHONE)`: a page in a browser context of its own; fails the test on any JS error."""
    contexts: List[Any] = []
    errors: List[str] = []

    def make(viewport: dict = DESKTOP) -> Any:
        context = browser.new_context(base_url=widget_env.url, viewport=viewport, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Whatever the demo page's Content-Security-Policy blocks is logged as an error.
        page.on("console", lambda message: errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
