"""The pods' environment: every name a setting or a variable Rasa's files read, secrets only in the Secret,
and the settings of a real install accepted by production (placeholders refused)."""
from __future__ import annotations

import re

import pytest

from bot.deploy.endpoints import PRODUCTION_ENDPOINTS
from bot.deploy.kubernetes.values import (
    SECRET_SETTINGS,
    ValuesError,
    load_values,
    merge,
    pod_environment,
    production_problems,
)
from bot.settings import PROJECT_ROOT, Settings, reset_settings_cache
from tests.deploy.kubernetes.conftest import EXAMPLE_VALUES, REAL_SECRETS, named


def _referenced(path) -> set:
    """The ${VAR} names a Rasa file reads (comments left out)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    return set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))


READ_BY_RASA = _referenced(PRODUCTION_ENDPOINTS) | _referenced(PROJECT_ROOT / "credentials.yml")


def test_every_okpay_name_is_a_setting_or_read_by_rasas_files(docs):
    environment = {**named(docs, "ConfigMap", "okpay-config")["data"],
                   **named(docs, "Secret", "okpay-secrets")["stringData"]}
    fields = {f"OKPAY_{name.upper()}" for name in Settings.__fields__}
    unknown = {name for name in environment if name.startswith("OKPAY_")} - fields - READ_BY_RASA
    assert not unknown, f"no setting and no Rasa file reads {sorted(unknown)}"


def test_every_variable_rasas_files_read_is_given(docs):
    """Rasa refuses to start on a ${VAR} of endpoints.production.yml or credentials.yml that is not set."""
    environment = {**named(docs, "ConfigMap", "okpay-config")["data"],
                   **named(docs, "Secret", "okpay-secrets")["stringData"]}
    assert "OKPAY_CALLBACK_URL" in READ_BY_RASA and "OKPAY_LOCK_REDIS_PASSWORD" in READ_BY_RASA
    missing = READ_BY_RASA - set(environment)
    assert not missing, f"Rasa's files read {sorted(missing)}, which no pod has"


def test_no_secret_is_in_the_config_map(docs):
    data = named(docs, "ConfigMap", "okpay-config")["data"]
    assert not {f"OKPAY_{name.upper()}" for name in SECRET_SETTINGS} & set(data)
    stored = named(docs, "Secret", "okpay-secrets")["stringData"]
    # The URLs' passwords are secrets too (OKPAY_TRACKER_DB_PASSWORD, OKPAY_LOCK_REDIS_PASSWORD).
    assert (stored["OKPAY_TRACKER_DB_PASSWORD"], stored["OKPAY_LOCK_REDIS_PASSWORD"]) == ("Trk2Secret9", "Rd5SecretPw8")
    secrets = [*REAL_SECRETS["secrets"].values(), "Trk2Secret9", "Rd5SecretPw8", "Pg7Secret@Db", "Pg7Secret%40Db"]
    for name, value in data.items():
        for secret in secrets:
            assert secret not in value, f"{name} in the ConfigMap holds a secret"


def test_a_real_install_passes_production_settings(docs, monkeypatch):
    """The pods' variables, loaded the way a pod loads them (its environment), make valid production settings."""
    for name, value in {**named(docs, "ConfigMap", "okpay-config")["data"],
                        **named(docs, "Secret", "okpay-secrets")["stringData"]}.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    settings = Settings()
    assert (settings.environment, settings.deployment) == ("production", "replicated")
    assert settings.console_secure_cookies is True
    assert settings.rasa_url == "http://okpay-rasa:5005"  # the console reaches Rasa's Service
    assert settings.action_endpoint_url == "http://okpay-actions:5055/webhook"
    assert settings.tracker_url.startswith("postgresql://okpay_conv:")
    assert settings.event_stream_url == REAL_SECRETS["secrets"]["redis_url"]
    assert settings.widget_server_url == "https://assistant.okpay.example"
    from bot.deploy.endpoints import deployment_problems, store_environment

    assert deployment_problems(settings) == []
    secret = named(docs, "Secret", "okpay-secrets")["stringData"]
    assert {name: secret.get(name, named(docs, "ConfigMap", "okpay-config")["data"].get(name))
            for name in store_environment(settings)} == store_environment(settings)


def test_the_example_placeholders_are_refused_in_production(monkeypatch):
    environment = pod_environment(load_values([EXAMPLE_VALUES]))
    problems = production_problems(environment)
    assert any("OKPAY_RASA_TOKEN" in p for p in problems) and any("OKPAY_ACTION_SECRET" in p for p in problems)
    for name, value in environment.all.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    with pytest.raises(ValueError, match="OKPAY_RASA_TOKEN"):
        Settings()


def test_real_secrets_leave_nothing_to_refuse(values):
    assert production_problems(pod_environment(values)) == []


@pytest.mark.parametrize("override, complaint", [
    ({"settings": {"rasa_token": "x" * 32}}, "settings.rasa_token is a secret"),
    ({"secrets": {"service_hours": "09:00-18:00"}}, "secrets.service_hours is not a secret"),
    ({"settings": {"servce_hours": "09:00-18:00"}}, "settings.servce_hours is not a setting"),
    ({"settings": {"rasa_host": "127.0.0.1"}}, "settings.rasa_host is set by the renderer"),
    ({"settings": {"environment": "development"}}, "settings.environment is set by the renderer"),
    ({"secrets": {"database_url": "sqlite:///var/tickets.db"}}, "OKPAY_DATABASE_URL must be a PostgreSQL URL"),
    ({"secrets": {"redis_url": ""}}, "OKPAY_REDIS_URL must be set"),
    ({"settings": {"service_days": ["1", "2"]}}, "one value, not a list"),
])
def test_values_that_cannot_work_are_refused_with_what_to_change(values, override, complaint):
    with pytest.raises(ValuesError, match=re.escape(complaint)):
        pod_environment(merge(values, override))


def test_later_values_files_win_key_by_key(tmp_path):
    override = tmp_path / "override.yml"
    override.write_text("rasa:\n  autoscaling:\n    maxReplicas: 9\nsecrets:\n  rasa_token: other\n", encoding="utf-8")
    merged = load_values([EXAMPLE_VALUES, override])
    assert merged["rasa"]["autoscaling"] == {**load_values([EXAMPLE_VALUES])["rasa"]["autoscaling"], "maxReplicas": 9}
    assert merged["secrets"]["rasa_token"] == "other"
    assert merged["secrets"]["action_secret"] == "changeme"


def test_a_values_file_must_be_a_mapping(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ValuesError, match="mapping"):
        load_values([broken])
