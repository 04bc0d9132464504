"""Fuzzing the widget's socket.io events: the handlers called directly for the bulk, then a real
long-polling client (tests/fuzz/targets.py: WidgetHandlersTarget, WidgetSocketTarget)."""
from tests.fuzz.targets import WidgetHandlersTarget, WidgetSocketTarget, examples_per_endpoint, fuzz


def test_no_event_breaks_a_widget_handler(channels, sockets):
    target = WidgetHandlersTarget(channels, sockets)
    fuzz(target, examples_per_endpoint())
    assert target.healthy() is None


def test_no_event_or_connection_breaks_a_real_widget_socket(channels, sockets):
    target = WidgetSocketTarget(channels, sockets)
    fuzz(target, max(10, examples_per_endpoint() // 3))
    assert target.healthy() is None
