"""Rasa input channels: the in-app widget (socket.io), WeChat and Telegram.

Each is listed in `credentials.yml` and loaded by Rasa. Secrets come from the
environment (`OKPAY_*`, see `bot/settings.py`); a channel whose secrets are
missing stays off with one log line instead of stopping the server. What the
channels share (conversation ids, the user's text, buttons as numbered
options, agent names, replayed webhooks) is in `bot.channels.common` and
`bot.channels.replays`.
"""
