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


@pytest.mark.parametrize("token", ["", "changeme", "secret"])
def test_production_refuses_placeholder_tokens(token):
    with pytest.raises(ValidationError):
        Settings(environment="production", rasa_token=token)


def test_production_accepts_a_real_token():
    assert Settings(environment="production", rasa_token="x9Kq2-real-token").rasa_token


def test_relative_paths_resolve_under_the_project(tmp_path):
    settings = Settings()
    assert settings.resolve(settings.tracker_db).is_absolute()
    assert settings.resolve(tmp_path) == tmp_path
