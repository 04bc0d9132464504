"""Dialogue policies of the assistant (named in config.yml)."""
