"""The widget's files and its demo page, served by the agent console's process.

`GET /widget` is a stand-in for the OKPay app's page with the widget on it:
`?user=alice` signs a token for a demo user the way the host app would
(`demo-alice`); without it the visitor is anonymous. The demo page is off in
production, where the host app signs its own tokens.

The page has no inline script or style (its own are demo-page.js and
demo-page.css), so its Content-Security-Policy allows only its own origin,
plus Rasa's socket.io server for the widget's connection.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import List
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from bot.settings import Settings
from bot.widget.tokens import user_token

HERE = Path(__file__).resolve().parent
DEMO_USER = re.compile(r"[a-z0-9_-]{1,32}")


def demo_page(settings: Settings, user: str | None) -> str:
    """The demo page's HTML; `user` (already checked) signs in a demo user."""
    token = user_token(settings.widget_jwt_secret, settings.widget_jwt_algorithm, f"demo-{user}",
                       audience=settings.widget_jwt_audience) if user else ""
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    return templates.get_template("demo.html").render(
        server_url=settings.widget_server_url, token=token, user=user, static="/widget/static"
    )


def demo_csp(settings: Settings) -> str:
    """The demo page's Content-Security-Policy: its own origin, and the socket server over HTTP and WebSocket."""
    server = urlsplit(settings.widget_server_url)
    socket = "wss" if server.scheme == "https" else "ws"
    origins = f"{server.scheme}://{server.netloc} {socket}://{server.netloc}"
    return (
        f"default-src 'self'; connect-src 'self' {origins}; img-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def widget_routes(settings: Settings) -> List[web.AbstractRouteDef]:
    async def demo(request: web.Request) -> web.Response:
        # Signing anybody in by a query parameter is for development only: never in any other environment.
        if settings.environment != "development" or not settings.widget_jwt_secret:
            raise web.HTTPNotFound()
        user = request.query.get("user") or None
        if user is not None and not DEMO_USER.fullmatch(user):
            raise web.HTTPBadRequest(text="user: 1-32 characters a-z 0-9 _ -")
        return web.Response(text=demo_page(settings, user), content_type="text/html",
                            headers={"Content-Security-Policy": demo_csp(settings)})

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=widget_script(), content_type="application/javascript", charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    # The script before the folder it is in: it is served with its words (bot/texts/widget.yml).
    return [web.get("/widget", demo), web.get(SCRIPT_PATH, script), web.static("/widget/static", HERE / "static")]


#: Where host pages load the widget from.
SCRIPT_PATH = "/widget/static/okpay-widget.js"
#: Where the script's words go (bot/widget/static/okpay-widget.js).
TEXTS_MARK = "/*OKPAY_WIDGET_TEXTS*/{}"


@cache
def widget_script() -> str:
    """okpay-widget.js with its words (bot/texts/widget.yml) in place, so they have one home."""
    from bot.texts import page_json

    source = (HERE / "static" / "okpay-widget.js").read_text(encoding="utf-8")
    if TEXTS_MARK not in source:
        raise RuntimeError("okpay-widget.js lost the mark where its words go")
    # As a JS literal inside a <script> element's file: "</" could end an inline copy of it; escape it anyway.
    return source.replace(TEXTS_MARK, page_json("widget").replace("</", "<\\/"), 1)
