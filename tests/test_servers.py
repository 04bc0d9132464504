"""The test helpers' free ports: below the ephemeral range, never one someone listens on."""
import socket

from tests import servers
from tests.servers import free_port, free_port_range


def test_free_ports_lie_below_the_range_outgoing_connections_take():
    ephemeral = servers._ephemeral_range()
    for _ in range(20):
        assert free_port() < ephemeral.start
    base = free_port_range(6)
    assert base + 6 <= ephemeral.start


def test_a_port_someone_listens_on_is_not_handed_out(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        # The taken port is drawn first, twice; then the ports after it (one of those may be taken too,
        # by any connection of the machine: the helper must pass over it as well).
        choices = iter([busy, busy, *range(busy + 1, busy + 200)])
        monkeypatch.setattr(servers.random, "randrange", lambda low, high: next(choices))
        monkeypatch.setattr(servers, "_candidate_ports", lambda: range(busy - 10, busy + 210))
        found = free_port()
        assert found > busy and not servers.port_in_use("127.0.0.1", found)
