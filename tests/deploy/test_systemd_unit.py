"""deploy/systemd/okpay.service: systemd accepts it, and it runs the command that starts supervisord."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from bot.settings import PROJECT_ROOT

UNIT = PROJECT_ROOT / "deploy" / "systemd" / "okpay.service"


def test_systemd_accepts_the_unit_with_this_checkout_in_place_of_opt_okpay(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    environment = tmp_path / "okpay.env"
    environment.touch(mode=0o600)
    unit = tmp_path / "okpay.service"
    unit.write_text(UNIT.read_text(encoding="utf-8").replace("/opt/okpay", str(PROJECT_ROOT))
                    .replace("/etc/okpay.env", str(environment)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "okpay.service" not in result.stderr, result.stderr


def test_the_unit_runs_the_replicated_layout_and_lets_supervisord_stop_it_in_order():
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/okpay/.venv/bin/python -m bot.cli.serve\n" in text
    assert "OKPAY_DEPLOYMENT=replicated" in text and "OKPAY_ENVIRONMENT=production" in text
    # SIGTERM to the launcher only: systemd's default would signal every process of the group at once.
    assert "KillMode=mixed" in text and "KillSignal=SIGTERM" in text
