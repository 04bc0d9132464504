"""Which endpoints file Rasa reads, and the variables it refers to.

`endpoints.yml` is the embedded set-up (SQLite tracker store, in-memory
locks); `endpoints.production.yml` the replicated one (PostgreSQL tracker
store, Redis locks). Rasa substitutes `${VAR}` in them from the environment;
this module derives those variables from the settings' URLs, so an operator
sets OKPAY_DATABASE_URL and OKPAY_REDIS_URL and nothing else.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict
from urllib.parse import unquote, urlsplit

from bot.settings import PROJECT_ROOT, Settings

EMBEDDED_ENDPOINTS = PROJECT_ROOT / "endpoints.yml"
PRODUCTION_ENDPOINTS = PROJECT_ROOT / "endpoints.production.yml"


def endpoints_file(settings: Settings) -> Path:
    return PRODUCTION_ENDPOINTS if settings.replicated else EMBEDDED_ENDPOINTS


def deployment_problems(settings: Settings) -> list:
    """What keeps the replicated deployment from starting, in words an operator can act on."""
    if not settings.replicated:
        return []
    problems = []
    if not settings.tracker_url.startswith("postgresql"):
        problems.append("OKPAY_DATABASE_URL must be a PostgreSQL URL (postgresql://user@host:5432/db)")
    if not settings.redis_url.startswith("redis://"):
        problems.append("OKPAY_REDIS_URL must be set (redis://host:6379/0)")
    if not settings.lock_key_prefix.isalnum():
        problems.append("OKPAY_LOCK_KEY_PREFIX must be letters and digits only")
    return problems


def _blank(value: object) -> str:
    return "" if value is None else str(value)


def store_environment(settings: Settings) -> Dict[str, str]:
    """The OKPAY_TRACKER_DB_* and OKPAY_LOCK_REDIS_* variables of endpoints.production.yml."""
    if not settings.replicated:
        return {}
    from sqlalchemy.engine import make_url

    database = make_url(settings.tracker_url)
    redis_parts = urlsplit(settings.redis_url)
    return {
        "OKPAY_TRACKER_DB_HOST": _blank(database.host or "127.0.0.1"),
        "OKPAY_TRACKER_DB_PORT": _blank(database.port or 5432),
        "OKPAY_TRACKER_DB_NAME": _blank(database.database),
        "OKPAY_TRACKER_DB_USER": _blank(database.username or "postgres"),
        "OKPAY_TRACKER_DB_PASSWORD": _blank(database.password),
        "OKPAY_LOCK_REDIS_HOST": redis_parts.hostname or "127.0.0.1",
        "OKPAY_LOCK_REDIS_PORT": str(redis_parts.port or 6379),
        "OKPAY_LOCK_REDIS_DB": (redis_parts.path or "/0").lstrip("/") or "0",
        "OKPAY_LOCK_REDIS_PASSWORD": unquote(redis_parts.password or ""),
        "OKPAY_LOCK_KEY_PREFIX": settings.lock_key_prefix,
        "TICKET_LOCK_LIFETIME": str(settings.lock_lifetime_s),
    }
