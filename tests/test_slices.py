"""Each test lands in the slice a developer expects (`scripts/test -m unit`)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.slices import slices


@pytest.mark.parametrize("path, fixtures, parameters, expected", [
    ("tests/runtime/test_incremental_tracker.py", ["tmp_path"], {}, {"unit"}),
    ("tests/runtime/test_lock_store.py", ["prefix", "redis_url"], {}, {"integration"}),
    ("tests/tickets/test_store.py", ["database", "database_url"], {"database_url": "sqlite"}, {"unit"}),
    ("tests/tickets/test_store.py", ["database", "database_url"], {"database_url": "postgresql"}, {"integration"}),
    ("tests/console/test_console_browser.py", ["browser", "console"], {}, {"browser", "integration"}),
    ("tests/e2e/test_conversations.py", ["stack"], {}, {"integration"}),
    ("tests/production/test_faults.py", ["replicated"], {}, {"destructive", "integration"}),
    ("tests/production/test_supervision.py", ["supervised"], {}, {"destructive", "integration"}),
])
def test_slices(path, fixtures, parameters, expected):
    assert slices(path, fixtures, parameters) == expected


def collected(*arguments: str) -> set:
    output = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *arguments], cwd=ROOT,
                            capture_output=True, text=True, timeout=300).stdout
    return {line.split("::")[0] for line in output.splitlines() if "::" in line}


def test_the_unit_slice_leaves_out_servers_databases_and_browsers():
    unit = collected("-m", "unit", "tests/e2e", "tests/production", "tests/console", "tests/runtime")
    assert "tests/runtime/test_incremental_tracker.py" in unit
    assert not any(path.startswith(("tests/e2e/", "tests/production/")) for path in unit)
    assert "tests/console/test_console_browser.py" not in unit
    assert "tests/production/test_faults.py" in collected("-m", "destructive", "tests/production")
