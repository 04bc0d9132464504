"""The set-up's choice of Python (scripts/lib.sh)."""
import subprocess
import sys

from bot.settings import PROJECT_ROOT


def find_python(env_python: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", "source scripts/lib.sh && find_python"],
        cwd=PROJECT_ROOT, env={"PATH": "/usr/bin:/bin", "PYTHON": env_python},
        capture_output=True, text=True, timeout=30,
    )


def test_a_chosen_python_310_is_used():
    result = find_python(sys.executable)
    assert result.returncode == 0
    assert result.stdout.strip() == sys.executable


def test_a_chosen_python_of_another_version_is_refused_with_a_reason(tmp_path):
    fake = tmp_path / "python3.12"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    result = find_python(str(fake))
    assert result.returncode != 0
    assert "not Python 3.8–3.10" in result.stderr


def test_the_test_command_with_arguments_runs_lint_then_only_that_pytest_slice():
    result = subprocess.run(["bash", "scripts/test", "tests/test_slices.py", "-m", "unit", "-k", "not the_unit_slice"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "== lint (ruff)" in result.stdout and "== pytest tests/test_slices.py" in result.stdout
    assert " passed" in result.stdout and "deselected" in result.stdout
    assert "rasa test" not in result.stdout and "NLU" not in result.stdout
