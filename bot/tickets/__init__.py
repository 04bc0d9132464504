"""The tickets: opening, numbering, the queue and claims, access rules, ratings (`store`), their tables
(`models`), service hours and ticket numbers.

Shared by the action server (which opens tickets) and the agent console (which
works them). The tables live in the support database (`bot.database`), with
the agents' (`bot.agents`) and the review queue's (`bot.insights.review_items`);
the handoff itself is `bot.handoff`. Nothing here connects to a database at
import time: `bot.database.database.get_database()` builds the engine on first use.
"""
