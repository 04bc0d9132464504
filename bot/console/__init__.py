"""The agent console: a small aiohttp web app in its own process.

Agents sign in, see the queue, claim a conversation, read the transcript
(from Rasa's tracker), reply (through Rasa's HTTP API, so the message is
recorded and delivered on the user's channel), leave internal notes, transfer
and resolve. Every page action is also a JSON endpoint under /api.
Run with `python -m bot.console`; `scripts/run` starts it with the rest.
"""
