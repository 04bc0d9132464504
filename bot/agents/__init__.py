"""Agents: their accounts (`models`), created and listed with `python -m bot.console.agents`."""
