"""Custom actions, served by `rasa run actions --actions bot.actions`.

rasa-sdk imports every module of this package and registers each `Action`.
"""
