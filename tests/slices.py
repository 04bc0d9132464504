"""Which slice of the suite a test belongs to, so a developer can run one (`scripts/test -m unit`).

Every test is `unit` or `integration`; `browser` and `destructive` are added
where they apply:
- integration: starts the real servers (tests/e2e, tests/production) or
  needs PostgreSQL or Redis (the fixtures below pull them in);
- browser: drives Chromium;
- destructive: kills processes or restarts a database (tests/production/test_faults.py, test_supervision.py).
Everything else runs in-process (with loopback fakes at most) in seconds.
"""
from __future__ import annotations

from typing import Iterable, Set

#: Fixtures that reach a real PostgreSQL or Redis, or start the stack.
INTEGRATION_FIXTURES = frozenset({"redis_url", "postgres_url", "pg_url", "private_postgres", "private_redis",
                                  "replicated", "stack", "tracker_db"})
BROWSER_FIXTURES = frozenset({"browser", "new_page"})
INTEGRATION_FOLDERS = ("tests/e2e/", "tests/production/")
DESTRUCTIVE_FILES = ("tests/production/test_faults.py", "tests/production/test_supervision.py")


def slices(path: str, fixtures: Iterable[str], parameters: dict) -> Set[str]:
    """The markers of a test at `path` (relative, with /) that uses `fixtures` with `parameters`."""
    fixtures = set(fixtures)
    marks = set()
    if fixtures & BROWSER_FIXTURES:
        marks.add("browser")
    if path.startswith(DESTRUCTIVE_FILES):
        marks.add("destructive")
    integration = (bool(marks) or path.startswith(INTEGRATION_FOLDERS) or bool(fixtures & INTEGRATION_FIXTURES)
                   or "postgresql" in (parameters.get("database_url"), parameters.get("store_deployment")))
    marks.add("integration" if integration else "unit")
    return marks
