"""The replicated deployment: what the public balancer lets through, and every process's readiness."""
from __future__ import annotations

import requests


def test_the_public_balancer_does_not_expose_rasas_http_api(replicated):
    token = {"token": replicated.token}
    for path in ("/conversations/someone/tracker", "/status", "/model", "/domain", "/version", "/"):
        assert requests.get(replicated.public_url + path, params=token, timeout=10).status_code == 404, path
    response = requests.post(f"{replicated.public_url}/conversations/someone/tracker/events", params=token,
                             json={"event": "resume"}, timeout=10)
    assert response.status_code == 404


def test_the_internal_api_is_behind_the_token(replicated):
    url = f"{replicated.rasa_url}/conversations/someone/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code == 401
    assert requests.get(url, params={"token": replicated.token}, timeout=10).status_code == 200


def test_every_process_answers_health_and_readiness(replicated):
    settings = replicated.settings
    assert requests.get(f"{replicated.public_url}/health", timeout=10).status_code == 200
    ready = requests.get(f"{replicated.public_url}/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"model": "ok", "tracker_store": "ok", "lock_store": "ok"}
    for port in settings.rasa_replica_ports:
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200  # Rasa's own health
        assert requests.get(f"http://127.0.0.1:{port}/ready", timeout=10).status_code == 200
    for port in settings.action_replica_ports:
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/ready", timeout=10).json()["checks"] == {"ticket_store": "ok"}
    assert requests.get(f"{settings.console_url}/health", timeout=10).status_code == 200


def test_a_conversation_through_the_balancer_lands_in_postgresql(user, tracker_db):
    from tests.production.conftest import stored_user_messages

    assert user.texts("付款失败了")
    assert user.texts("没解决")
    stored = stored_user_messages(tracker_db, user.sender)
    assert [event["text"] for event in stored] == ["付款失败了", "没解决"]
