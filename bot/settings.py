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

    def resolve(self, path: Path) -> Path:
        """`path` relative to the project root unless it is absolute."""
        return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """For tests: forget the cached settings after changing the environment."""
    get_settings.cache_clear()
