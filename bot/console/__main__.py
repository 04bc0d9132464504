"""`python -m bot.console`: migrate the ticket database, then serve the console."""
from __future__ import annotations

import sys

from aiohttp import web

from bot.console.app import create_app
from bot.console.rasa_client import RasaClient
from bot.database.database import get_database
from bot.database.migrate import upgrade
from bot.logs.setup import configure_logging
from bot.settings import get_settings
from bot.stream.feed import EventFeed


def main() -> int:
    configure_logging("console")
    settings = get_settings()
    upgrade(settings.ticket_database_url)
    app = create_app(settings, get_database(), RasaClient(settings.rasa_url, settings.rasa_token),
                     feed=EventFeed(settings.event_stream_url))
    web.run_app(app, host=settings.console_host, port=settings.console_port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
