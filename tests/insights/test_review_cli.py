"""`python -m bot.insights.review collect | export` against the configured stores."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.insights.conversations import sample_conversations, write

ROOT = Path(__file__).resolve().parents[2]


def review(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OKPAY_DATABASE_URL": f"sqlite:///{tmp_path / 'tickets.db'}",
           "OKPAY_TRACKER_DB": str(tmp_path / "okpay.db"), "OKPAY_SERVICE_TIMEZONE": "Asia/Shanghai"}
    return subprocess.run([sys.executable, "-m", "bot.insights.review", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_collect_then_export(tmp_path):
    write(tmp_path / "okpay.db", sample_conversations())
    collected = review(tmp_path, "collect", "--from", "2026-11-20", "--to", "2026-11-20")
    assert collected.returncode == 0, collected.stderr
    assert "collected 3 new messages" in collected.stdout and "low_confidence 1" in collected.stdout
    assert "collected 0 new" in review(tmp_path, "collect", "--from", "2026-11-20", "--to", "2026-11-20").stdout
    out = tmp_path / "corrections.yml"
    exported = review(tmp_path, "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert f"wrote 0 corrected examples of 0 intents to {out}" in exported.stdout
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["nlu"] == []


def test_unreadable_conversations_and_bad_dates_are_reported(tmp_path):
    missing = review(tmp_path, "collect", "--from", "2026-11-20", "--to", "2026-11-20")
    assert missing.returncode == 1 and "conversations cannot be read" in missing.stderr
    backwards = review(tmp_path, "collect", "--from", "2026-11-20", "--to", "2026-11-19")
    assert backwards.returncode == 2 and "ends before it starts" in backwards.stderr
