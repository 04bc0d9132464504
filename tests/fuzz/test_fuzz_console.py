"""Fuzzing the console's JSON API: every route with random bodies, ticket numbers, `after` values and
callers (tests/fuzz/targets.py: ConsoleTarget)."""
from tests.fuzz.targets import ConsoleTarget, examples_per_endpoint, fuzz


def test_the_console_api_never_fails_and_loses_no_ticket(console):
    target = ConsoleTarget(console)
    fuzz(target, examples_per_endpoint())
    assert target.healthy() is None
