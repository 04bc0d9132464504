"""`python -m bot.console.agents`: create, list, deactivate, with clear errors."""
from __future__ import annotations

import io

import pytest

from bot.agents.models import SUPERVISOR, Agent
from bot.console import agents
from bot.console.passwords import verify_password
from bot.database.database import get_database
from bot.settings import reset_settings_cache


@pytest.fixture
def configured(tmp_path, monkeypatch):
    monkeypatch.setenv("OKPAY_DATABASE_URL", f"sqlite:///{tmp_path / 'tickets.db'}")
    reset_settings_cache()
    yield
    get_database().dispose()
    reset_settings_cache()


def create(monkeypatch, *args, password="a-long-password"):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return agents.main(["create", *args, "--password-stdin"])


def test_create_list_and_deactivate(configured, monkeypatch, capsys):
    assert create(monkeypatch, "li", "--name", "小李", "--number", "KF1001") == 0
    assert create(monkeypatch, "chen", "--name", "陈主管", "--number", "KF0001", "--supervisor") == 0
    with get_database().session() as session:
        chen = session.query(Agent).filter_by(username="chen").one()
        assert chen.role == SUPERVISOR and chen.senior
        assert verify_password(chen.password_hash, "a-long-password")
        assert "a-long-password" not in chen.password_hash
    assert agents.main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "li\t小李\tKF1001\tagent" in listed and "chen\t陈主管\tKF0001\tsupervisor" in listed
    assert agents.main(["deactivate", "li"]) == 0
    with get_database().session() as session:
        assert session.query(Agent).filter_by(username="li").one().active is False


def test_taken_names_short_passwords_and_unknown_accounts_are_refused(configured, monkeypatch, capsys):
    assert create(monkeypatch, "li", "--name", "小李", "--number", "KF1001") == 0
    assert create(monkeypatch, "li", "--name", "另一个", "--number", "KF1002") == 1
    assert create(monkeypatch, "wang", "--name", "小王", "--number", "KF1003", password="short") == 1
    assert agents.main(["deactivate", "nobody"]) == 1
    errors = capsys.readouterr().err
    assert "taken" in errors and "at least 8" in errors and "no account nobody" in errors
