"""The one place that reads the environment.

Every process (scripts, Rasa, the action server, the chat client, tests)
gets its configuration from `get_settings()`. Variables are prefixed with
`OKPAY_`; see README, "Configuration".
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_PLACEHOLDER_TOKENS = {"", "changeme", "change-me", "secret", "token"}


class Settings(BaseSettings):
    environment: str = "development"
    #: Rasa's server (REST channel and HTTP API).
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    #: Token of Rasa's HTTP API. Left empty, `bot.cli.serve` makes a random one
    #: per start; production must set it.
    rasa_token: str = ""
    #: The action server (`bot.actions`).
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    #: SQLite file of the tracker store, relative to the project root.
    tracker_db: Path = Path("var/okpay.db")
    models_dir: Path = Path("bot/models")
    log_dir: Path = Path("var/log")
    #: TensorFlow threads per Rasa process. Our models are small: one thread
    #: answers faster than several that wait for each other (measured).
    tf_threads: int = 1
    #: Seconds to wait for the servers to load before giving up.
    start_timeout: float = 180.0

    #: The ticket store (tickets, agents, ratings). Empty: the SQLite file
    #: `ticket_db`. Production: a PostgreSQL URL such as
    #: postgresql://okpay@db.internal/okpay.
    database_url: str = ""
    ticket_db: Path = Path("var/tickets.db")

    #: Live support: when agents work, in which time zone, how many
    #: conversations one agent handles at once, and how long the queue may grow
    #: before new requests are recorded for a later reply instead.
    service_timezone: str = "Asia/Shanghai"
    service_hours: str = "09:00-21:00"
    #: ISO weekdays served (1 = Monday … 7 = Sunday), as "1-5" or "1,2,3,6".
    service_days: str = "1-7"
    agent_capacity: int = 3
    queue_limit: int = 30
    #: Estimated minutes per conversation, until enough have been handled to
    #: measure it.
    average_handling_minutes: float = 6.0
    #: An agent counts as available while the console has been seen this recently.
    presence_timeout_s: int = 90

    #: The agent console.
    console_host: str = "127.0.0.1"
    console_port: int = 5080
    console_session_hours: float = 8.0
    #: Where Rasa's callback channel posts the bot's messages.
    callback_url: str = "http://127.0.0.1:5034/bot"

    class Config:
        env_prefix = "OKPAY_"

    @validator("rasa_token")
    def _refuse_placeholder_token_in_production(cls, token: str, values: dict) -> str:
        if values.get("environment") == "production" and token.lower() in _PLACEHOLDER_TOKENS:
            raise ValueError("OKPAY_RASA_TOKEN must be set to a real secret in production")
        return token

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def action_endpoint_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"

    @property
    def ticket_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.resolve(self.ticket_db)}"

    @property
    def console_url(self) -> str:
        return f"http://{self.console_host}:{self.console_port}"

    def resolve(self, path: Path) -> Path:
        """`path` relative to the project root unless it is absolute."""
        return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """For tests: forget the cached settings after changing the environment."""
    get_settings.cache_clear()
