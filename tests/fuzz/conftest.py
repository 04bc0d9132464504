"""Servers for the fuzz tests, one set per module; see tests/fuzz/targets.py for what is sent and checked.

The number of generated inputs per endpoint is OKPAY_FUZZ_EXAMPLES (default 150); runs are
derandomized (the same inputs every time) and write no Hypothesis database.
`python -m benchmarks.fuzz_benchmark --examples 10000` runs the same properties at scale.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.fuzz.targets import Channels, Console, WidgetSockets, fuzz_environment


@pytest.fixture(scope="module")
def ticket_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fuzz_environment(tmp_path_factory.mktemp("fuzz")) as url:
        yield url


@pytest.fixture(scope="module")
def channels(ticket_store: str) -> Iterator[Channels]:
    served = Channels().start()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def sockets(channels: Channels) -> Iterator[WidgetSockets]:
    clients = WidgetSockets(channels)
    yield clients
    clients.close()


@pytest.fixture(scope="module")
def console(ticket_store: str) -> Iterator[Console]:
    served = Console(ticket_store).start()
    yield served
    served.stop()
