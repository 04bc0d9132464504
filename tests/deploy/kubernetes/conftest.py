"""The install the manifests' tests render: the committed example values, with real-looking secrets on top."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from bot.deploy.kubernetes.render import documents
from bot.deploy.kubernetes.values import load_values
from bot.settings import PROJECT_ROOT

EXAMPLE_VALUES = PROJECT_ROOT / "deploy" / "kubernetes" / "values.example.yml"
#: What an operator keeps outside the repository: every secret set, none a placeholder.
REAL_SECRETS = {"secrets": {
    "rasa_token": "rT9#kL2vQ8xW4mN7pZ1cF6hJ3sD5gB0e",
    "action_secret": "aS4!nM8bV2cX6zL9kJ3hG7fD1sQ5wE0r",
    "widget_jwt_secret": "wJ7$yU3iO9pA1sD5fG8hK2lZ4xC6vB0nM3qW",
    "database_url": "postgresql://okpay:Pg7Secret%40Db@pg.internal.example:5432/okpay",
    "tracker_database_url": "postgresql://okpay_conv:Trk2Secret9@pg2.internal.example:5433/okpay_conversations",
    "redis_url": "redis://:Rd5SecretPw8@redis.internal.example:6380/3",
    "wechat_token": "WxTok3nValue81",
    "wechat_app_secret": "wxAppSecretValue0123456789abcdef",
    "wechat_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "telegram_token": "123456789:AAHtelegramBotTokenValue_0123456789",
    "telegram_secret_token": "TgSecretToken_5f3a9c",
    "log_hash_key": "lH6%tR2yU8iO4pA9sD3fG7hJ1kL5zX0c",
}}


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    path = tmp_path / "okpay-secrets.yml"
    path.write_text(yaml.safe_dump(REAL_SECRETS), encoding="utf-8")
    return path


@pytest.fixture
def values(secrets_file: Path) -> Dict[str, Any]:
    """The example install with its real secrets (values.example.yml, then the private file)."""
    return load_values([EXAMPLE_VALUES, secrets_file])


@pytest.fixture
def docs(values: Dict[str, Any]) -> List[Dict[str, Any]]:
    return documents(values)


def of_kind(docs: List[Dict[str, Any]], kind: str) -> List[Dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs: List[Dict[str, Any]], kind: str, name: str) -> Dict[str, Any]:
    found = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {name}: {len(found)} found"
    return found[0]


def pod_specs(docs: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Every pod template, by '<Kind>/<name>'."""
    found = {}
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            found[f"CronJob/{doc['metadata']['name']}"] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return found
