"""The guide engine: where a guide is (`progress`) and what a user's reply to a step means (`replies`).

The guides themselves, their steps and reply patterns, are content
(`bot/content/guides.yml`, `bot/content/replies.yml`, loaded by
`bot.content.catalog`); the actions (`bot/actions/guide_actions.py`) and the
guide reply policy (`bot/dialogue`) use this engine on them.
"""
