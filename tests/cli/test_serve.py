"""The servers started by `bot.cli.serve` all get the same settings."""
from pathlib import Path

from bot.cli.serve import child_environment
from bot.settings import PROJECT_ROOT, Settings


def test_every_setting_reaches_the_child_processes(tmp_path):
    settings = Settings(
        tracker_db=Path("var/t.db"), ticket_db=tmp_path / "tickets.db", callback_url="http://127.0.0.1:9/bot",
        service_hours="08:00-20:00", console_port=6001,
    )
    env = child_environment(settings, token="made-up")
    assert env["OKPAY_TRACKER_DB"] == str(PROJECT_ROOT / "var/t.db")  # relative paths resolved
    assert env["OKPAY_DATABASE_URL"] == f"sqlite:///{tmp_path / 'tickets.db'}"
    assert env["OKPAY_CALLBACK_URL"] == "http://127.0.0.1:9/bot"
    assert env["OKPAY_SERVICE_HOURS"] == "08:00-20:00" and env["OKPAY_CONSOLE_PORT"] == "6001"
    assert env["OKPAY_RASA_TOKEN"] == "made-up"
    assert env["OKPAY_ACTION_ENDPOINT_URL"] == settings.action_endpoint_url


def test_development_gets_a_widget_secret_kept_across_restarts_and_production_none(tmp_path):
    from bot.cli.serve import with_widget_secret

    settings = Settings(tracker_db=tmp_path / "var" / "okpay.db")
    first, second = with_widget_secret(settings), with_widget_secret(settings)
    assert len(first.widget_jwt_secret) >= 32 and first.widget_jwt_secret == second.widget_jwt_secret
    assert (tmp_path / "var" / "widget_secret").stat().st_mode & 0o077 == 0  # its owner's only
    assert with_widget_secret(Settings(widget_jwt_secret="set")).widget_jwt_secret == "set"
    production = Settings(environment="production", rasa_token="a-real-token-0123456789abcd",
                          action_secret="a-real-action-secret-0123456", tracker_db=tmp_path / "p.db")
    assert with_widget_secret(production).widget_jwt_secret == ""




def test_unset_optional_settings_stay_unset_in_the_children(tmp_path):
    """Not the text "None", which a child would read as a file named None."""
    assert "OKPAY_TLS_CERT_FILE" not in child_environment(Settings(), token="t")
    with_tls = child_environment(Settings(tls_cert_file=Path("var/c.pem"), tls_key_file=tmp_path / "k.pem"), token="t")
    assert with_tls["OKPAY_TLS_CERT_FILE"] == str(PROJECT_ROOT / "var/c.pem")
    assert with_tls["OKPAY_TLS_KEY_FILE"] == str(tmp_path / "k.pem")
