"""The replicated deployment: what the public balancer lets through, and every process's readiness."""
from __future__ import annotations

from pathlib import Path

import requests

from bot.runtime.api_auth import api_token


def test_the_public_balancer_does_not_expose_rasas_http_api(replicated):
    token = {"token": replicated.token}
    for path in ("/conversations/someone/tracker", "/status", "/model", "/domain", "/version", "/"):
        assert requests.get(replicated.public_url + path, params=token, timeout=10).status_code == 404, path
    response = requests.post(f"{replicated.public_url}/conversations/someone/tracker/events", params=token,
                             json={"event": "resume"}, timeout=10)
    assert response.status_code == 404


def test_the_public_balancer_does_not_expose_the_rest_and_callback_channels(replicated):
    """They trust their caller's sender: only the internal listener serves them."""
    for channel in ("rest", "callback"):
        response = requests.post(f"{replicated.public_url}/webhooks/{channel}/webhook",
                                 json={"sender": "someone", "message": "我的工单"}, timeout=10)
        assert response.status_code == 404, channel
    internal = requests.post(f"{replicated.rasa_url}/webhooks/rest/webhook",
                             json={"sender": "internal-probe", "message": "你好"}, timeout=60)
    assert internal.status_code == 200 and internal.json()


def test_the_conversation_events_route_is_internal_and_needs_the_signed_header(replicated):
    path = "/webhooks/okpay_events/conversations/internal-events-probe/events"
    assert requests.get(replicated.public_url + path, headers=replicated.api_headers(), timeout=10).status_code == 404
    assert requests.get(replicated.rasa_url + path, timeout=10).status_code == 401
    assert requests.get(replicated.rasa_url + path, params={"token": replicated.token}, timeout=10).status_code == 401
    requests.post(f"{replicated.rasa_url}/webhooks/rest/webhook",
                  json={"sender": "internal-events-probe", "message": "你好"}, timeout=60)
    conversation = "rest:internal-events-probe"
    path = f"/webhooks/okpay_events/conversations/{conversation}/events"
    page = requests.get(replicated.rasa_url + path, headers=replicated.api_headers(), timeout=10).json()
    tracker = requests.get(f"{replicated.rasa_url}/conversations/{conversation}/tracker",
                           params={"include_events": "ALL"}, headers=replicated.api_headers(), timeout=10).json()
    assert page["events"] == tracker["events"] and page["total"] == len(tracker["events"]) > 3
    later = requests.get(replicated.rasa_url + path, params={"after": page["total"] - 2},
                         headers=replicated.api_headers(), timeout=10).json()
    assert later["events"] == tracker["events"][-1:]


def test_the_internal_api_takes_a_signed_header_and_no_url_token(replicated):
    url = f"{replicated.rasa_url}/conversations/someone/tracker"
    assert requests.get(url, timeout=10).status_code == 401
    # The secret itself as a URL token (what ends up in access logs) is refused.
    assert requests.get(url, params={"token": replicated.token}, timeout=10).status_code == 401
    forged = {"Authorization": f"Bearer {api_token('not-the-secret-' + 'x' * 24)}"}
    assert requests.get(url, headers=forged, timeout=10).status_code == 401
    expired = {"Authorization": f"Bearer {api_token(replicated.token, lifetime_s=-600)}"}  # sanic-jwt allows 60 s
    assert requests.get(url, headers=expired, timeout=10).status_code == 401
    assert requests.get(url, headers=replicated.api_headers(), timeout=10).status_code == 200


def test_the_api_secret_is_in_no_command_line_and_no_access_log(replicated):
    requests.get(f"{replicated.rasa_url}/conversations/someone/tracker", headers=replicated.api_headers(), timeout=10)
    for name, pid in {**replicated.pids(), "supervisord": replicated.supervisord.pid}.items():
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
        assert replicated.token not in command_line, name
    # supervisord hands the secrets to its children through its own environment, not its file.
    supervisor_config = replicated.settings.resolve(replicated.settings.log_dir).parent / "supervisor/supervisord.conf"
    assert replicated.token not in supervisor_config.read_text(encoding="utf-8")
    assert supervisor_config.stat().st_mode & 0o777 == 0o600
    log_dir = replicated.settings.resolve(replicated.settings.log_dir)
    access_log = (log_dir / "nginx-access.log").read_text(encoding="utf-8")
    assert "/conversations/someone/tracker" in access_log  # the request was logged …
    assert replicated.token not in access_log and "?" not in access_log  # … without a query string


def test_every_process_answers_health_and_readiness(replicated):
    settings = replicated.settings
    assert requests.get(f"{replicated.public_url}/health", timeout=10).status_code == 200
    ready = requests.get(f"{replicated.public_url}/ready", timeout=10)
    # The public answer says ready or not, never which store or error (a forged header changes nothing).
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert requests.get(f"{replicated.public_url}/ready", headers={"X-OKPay-Public": ""}, timeout=10).json() == {
        "status": "ready"}
    internal = requests.get(f"http://127.0.0.1:{settings.rasa_replica_ports[0]}/ready", timeout=10)
    assert internal.json()["checks"] == {"model": "ok", "tracker_store": "ok", "lock_store": "ok"}
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
    stored = stored_user_messages(tracker_db, user.conversation)
    assert [event["text"] for event in stored] == ["付款失败了", "没解决"]


def test_the_production_layout_runs_with_production_defaults(replicated):
    """`scripts/run --replicated` runs in production: nobody but Rasa runs actions, nobody signs in by URL."""
    settings = replicated.settings
    assert settings.environment == "production" and settings.console_secure_cookies
    call = {"next_action": "action_ticket_status", "sender_id": "rest:someone", "tracker": {"sender_id": "x"},
            "domain": {}}
    assert requests.post(settings.action_endpoint_url, json=call, timeout=10).status_code == 401
    assert requests.get(f"{replicated.console_url}/widget?user=alice", timeout=10).status_code == 404
