import pytest
from pydantic import ValidationError

from bot.settings import Settings, get_settings, reset_settings_cache


def test_defaults_are_loopback():
    settings = Settings()
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_endpoint_url == "http://127.0.0.1:5055/webhook"


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("OKPAY_RASA_PORT", "6006")
    reset_settings_cache()
    try:
        assert get_settings().rasa_port == 6006
    finally:
        reset_settings_cache()


REAL = {"rasa_token": "x9Kq2-real-token-0123456789", "action_secret": "aS7-real-action-secret-012345"}


@pytest.mark.parametrize("field", ["rasa_token", "action_secret"])
@pytest.mark.parametrize("value", ["", "changeme", "secret", " Secret ", "short-but-real"])
def test_production_refuses_placeholder_and_short_secrets(field, value):
    with pytest.raises(ValidationError, match=f"OKPAY_{field.upper()}"):
        Settings(environment="production", **{**REAL, field: value})


def test_production_accepts_real_secrets():
    settings = Settings(environment="production", **REAL)
    assert settings.rasa_token and settings.action_secret


@pytest.mark.parametrize("value", ["changeme", " Secret ", "short-but-real"])
def test_production_refuses_a_placeholder_log_hash_key(value):
    with pytest.raises(ValidationError, match="OKPAY_LOG_HASH_KEY"):
        Settings(environment="production", **REAL, log_hash_key=value)


def test_production_takes_an_empty_or_real_log_hash_key():
    assert Settings(environment="production", **REAL).log_hash_key == ""
    assert Settings(environment="production", **REAL, log_hash_key="k3y-" + "7" * 30).log_hash_key


def test_relative_paths_resolve_under_the_project(tmp_path):
    settings = Settings()
    assert settings.resolve(settings.tracker_db).is_absolute()
    assert settings.resolve(tmp_path) == tmp_path


def test_production_cookies_are_secure_unless_said_otherwise():
    assert Settings(environment="production", **REAL).console_secure_cookies is True
    assert Settings().console_secure_cookies is False
    assert Settings(environment="production", console_secure_cookies=False, **REAL).console_secure_cookies is False


def test_tls_needs_both_files_and_moves_the_public_url_to_https(tmp_path):
    with pytest.raises(ValueError, match="OKPAY_TLS_CERT_FILE and OKPAY_TLS_KEY_FILE go together"):
        Settings(tls_cert_file=tmp_path / "server.crt")
    with pytest.raises(ValueError, match="go together"):
        Settings(tls_key_file=tmp_path / "server.key")
    replicated = dict(deployment="replicated", tls_cert_file=tmp_path / "c", tls_key_file=tmp_path / "k")
    assert Settings(**replicated).public_url == "https://127.0.0.1:8443"
    assert Settings(**replicated, https_port=443).public_url == "https://127.0.0.1"
    assert not Settings().tls and Settings().public_url.startswith("http://")
