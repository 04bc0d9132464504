"""`python -m bot.deploy.kubernetes render`: what an operator runs, its messages and exit codes."""
from __future__ import annotations

import yaml

from bot.deploy.kubernetes.__main__ import main
from tests.deploy.kubernetes.conftest import EXAMPLE_VALUES


def test_render_prints_the_manifests_and_warns_about_placeholders(capsys):
    assert main(["render", "--values", str(EXAMPLE_VALUES)]) == 0
    out, err = capsys.readouterr()
    kinds = [doc["kind"] for doc in yaml.safe_load_all(out) if doc]
    assert kinds.count("Deployment") == 3 and "Secret" in kinds
    assert "OKPAY_RASA_TOKEN" in err and "OKPAY_ACTION_SECRET" in err and err.startswith("warning:")


def test_strict_refuses_placeholders_and_prints_nothing(capsys):
    assert main(["render", "--strict", "--values", str(EXAMPLE_VALUES)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "error: production refuses" in err


def test_strict_renders_with_the_private_secrets_file(capsys, secrets_file):
    assert main(["render", "--strict", "--values", str(EXAMPLE_VALUES), "--values", str(secrets_file),
                 "--part", "setup"]) == 0
    out, err = capsys.readouterr()
    assert [doc["kind"] for doc in yaml.safe_load_all(out) if doc] == ["ConfigMap", "Secret", "Job"]
    assert err == ""


def test_without_secret_prints_no_secret(capsys, secrets_file):
    assert main(["render", "--without-secret", "--values", str(EXAMPLE_VALUES), "--values", str(secrets_file)]) == 0
    out, _ = capsys.readouterr()
    assert "Secret" not in [doc["kind"] for doc in yaml.safe_load_all(out) if doc]
    assert "rT9#kL2vQ8xW4mN7pZ1cF6hJ3sD5gB0e" not in out


def test_values_that_cannot_work_say_what_to_change(capsys, tmp_path):
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("settings:\n  servce_hours: '09:00-18:00'\n", encoding="utf-8")
    assert main(["render", "--values", str(EXAMPLE_VALUES), "--values", str(wrong)]) == 2
    assert "settings.servce_hours is not a setting" in capsys.readouterr().err
    assert main(["render", "--values", str(tmp_path / "missing.yml")]) == 2
    assert "missing.yml" in capsys.readouterr().err
