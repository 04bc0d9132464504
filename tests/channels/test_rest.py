"""The REST and callback channels keep the load balancer's request id with the message."""
from __future__ import annotations

from types import SimpleNamespace

from bot.channels.rest import REQUEST_ID_HEADER, CallbackInput, RestInput
from bot.runtime.message_guard import REQUEST_ID


def request(body: dict, headers: dict) -> SimpleNamespace:
    return SimpleNamespace(json=body, headers=headers)


def test_the_request_id_joins_the_bodys_metadata():
    channel = RestInput()
    body = {"sender": "u1", "message": "你好", "metadata": {"app_version": "3.2"}}
    assert channel.get_metadata(request(body, {REQUEST_ID_HEADER: "abc"})) == {"app_version": "3.2", REQUEST_ID: "abc"}
    assert channel.get_metadata(request({"sender": "u1", "message": "你好"}, {REQUEST_ID_HEADER: "abc"})) == {
        REQUEST_ID: "abc"}


def test_without_a_balancer_the_metadata_is_the_bodys():
    body = {"sender": "u1", "message": "你好", "metadata": {"app_version": "3.2"}}
    assert RestInput().get_metadata(request(body, {})) == {"app_version": "3.2"}
    assert CallbackInput("http://127.0.0.1:1/bot").get_metadata(request({"sender": "u1", "message": "x"}, {})) is None
