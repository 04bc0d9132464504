"""Command-line entry points: serving, chatting, validating, reporting."""
