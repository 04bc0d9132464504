"""The widget's demo page and files, served by the console process."""
from __future__ import annotations

import asyncio
import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.widget.routes import widget_routes
from bot.widget.tokens import identity_from_token

SECRET = "route-test-secret-0123456789abcdef"


def fetch(settings: Settings, path: str):
    async def main():
        app = web.Application()
        app.add_routes(widget_routes(settings))
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            response = await client.get(path)
            return response.status, await response.text()
        finally:
            await client.close()

    return asyncio.run(main())


def test_the_demo_page_signs_in_a_demo_user_the_way_a_host_app_would():
    settings = Settings(widget_jwt_secret=SECRET, widget_socket_url="https://chat.example.com")
    status, html = fetch(settings, "/widget?user=alice")
    assert status == 200 and "https://chat.example.com" in html
    token = re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", html).group()
    assert identity_from_token(token, SECRET).conversation_id == "widget:u:demo-alice"


def test_the_demo_page_without_a_user_is_anonymous_and_refuses_odd_user_names():
    status, html = fetch(Settings(widget_jwt_secret=SECRET), "/widget")
    assert status == 200 and not re.search(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", html)
    assert fetch(Settings(widget_jwt_secret=SECRET), "/widget?user=<script>")[0] == 400


def test_no_demo_page_in_production_or_without_a_secret_but_the_files_are_served():
    production = Settings(environment="production", rasa_token="a-real-token-0123456789abcd",
                          action_secret="a-real-action-secret-0123456", widget_jwt_secret=SECRET)
    assert fetch(production, "/widget?user=alice")[0] == 404
    # Any environment but development: staging, or a typo, signs nobody in either.
    for environment in ("staging", "prod", "Production"):
        assert fetch(Settings(environment=environment, widget_jwt_secret=SECRET), "/widget?user=alice")[0] == 404
    assert fetch(Settings(widget_jwt_secret=""), "/widget")[0] == 404
    status, script = fetch(production, "/widget/static/vendor/socket.io.min.js")
    assert status == 200 and "Socket.IO v4" in script
