"""The ticket store: tickets, their history, agents, sessions and ratings.

Shared by the action server (which opens tickets) and the agent console (which
works them). SQLite by default, PostgreSQL by `OKPAY_DATABASE_URL`; the schema
is kept by Alembic (`python -m bot.tickets.migrate`). Nothing here connects to
a database at import time: `bot.tickets.database.get_database()` builds the
engine on first use.
"""
