"""Who reaches what: Services match their pods, the public host routes exactly the public listener's paths of
bot/deploy/nginx.py, the console has its own host and every agent route but no /metrics."""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
from aiohttp import web

from bot.console.routes import route_table
from bot.deploy.kubernetes.render import documents
from bot.deploy.kubernetes.values import merge
from bot.settings import Settings
from tests.deploy.kubernetes.conftest import named, of_kind

NGINX = "nginx.ingress.kubernetes.io/"
PUBLIC_HOST, CONSOLE_HOST = "assistant.okpay.example", "console.okpay.example"
#: What the public listener of bot/deploy/nginx.py answers 404 to (or does not pass on), and must stay unrouted.
NOT_PUBLIC = [
    "/", "/webhooks/rest/webhook", "/webhooks/callback/webhook", "/webhooks/okpay_events/conversations/u1/events",
    "/webhooks/service/ready", "/conversations/u1/tracker", "/conversations/u1/tracker/events", "/model",
    "/model/parse", "/status", "/version", "/metrics", "/health", "/ready", "/webhooks", "/webhooks/",
    "/webhooks/wechatx", "/socket.iox", "/widget", "/widget/demo", "/api/login", "/api/queue", "/login",
]


def _matches(rule: Dict[str, Any], path: str) -> bool:
    """Kubernetes' Ingress path matching: Exact, or Prefix by whole path elements."""
    if rule["pathType"] == "Exact":
        return path == rule["path"]
    prefix = rule["path"].rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def _routes(docs: List[Dict[str, Any]], host: str) -> List[Dict[str, Any]]:
    """Every path rule for `host`, with the Ingress it is in."""
    found = []
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            if rule["host"] == host:
                found += [{**path, "ingress": ingress} for path in rule["http"]["paths"]]
    return found


def _routed_to(docs, host: str, path: str) -> List[str]:
    return [rule["backend"]["service"]["name"] for rule in _routes(docs, host) if _matches(rule, path)]


def test_services_select_their_deployments_pods_on_the_contract_ports(docs):
    deployments = of_kind(docs, "Deployment")
    for service in of_kind(docs, "Service"):
        selector = service["spec"]["selector"]
        selected = [d for d in deployments if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert len(selected) == 1, service["metadata"]["name"]
        (container,) = selected[0]["spec"]["template"]["spec"]["containers"]
        (port,) = service["spec"]["ports"]
        named_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert port["port"] == named_ports[port["targetPort"]], service["metadata"]["name"]
    names = {s["metadata"]["name"]: s["spec"]["ports"][0]["port"] for s in of_kind(docs, "Service")}
    assert names == {"okpay-rasa": 5005, "okpay-rasa-sockets": 5005, "okpay-actions": 5055, "okpay-console": 5080}


def test_every_ingress_backend_is_a_service_port_and_every_host_has_tls(docs):
    services = {s["metadata"]["name"]: {p["port"] for p in s["spec"]["ports"]} for s in of_kind(docs, "Service")}
    for ingress in of_kind(docs, "Ingress"):
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        assert hosts <= {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
        assert ingress["metadata"]["annotations"][f"{NGINX}force-ssl-redirect"] == "true"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["port"]["number"] in services[backend["name"]]


def test_the_public_host_routes_exactly_the_public_listeners_paths(docs):
    routes = {(rule["path"], rule["pathType"], rule["backend"]["service"]["name"]) for rule in _routes(docs, PUBLIC_HOST)}
    assert routes == {("/webhooks/wechat", "Prefix", "okpay-rasa"), ("/webhooks/telegram", "Prefix", "okpay-rasa"),
                      ("/socket.io", "Prefix", "okpay-rasa-sockets"), ("/widget/static", "Prefix", "okpay-console")}
    assert _routed_to(docs, PUBLIC_HOST, "/webhooks/wechat/webhook") == ["okpay-rasa"]
    assert _routed_to(docs, PUBLIC_HOST, "/webhooks/telegram/webhook") == ["okpay-rasa"]
    assert _routed_to(docs, PUBLIC_HOST, "/socket.io/") == ["okpay-rasa-sockets"]
    assert _routed_to(docs, PUBLIC_HOST, "/widget/static/okpay-widget.js") == ["okpay-console"]


@pytest.mark.parametrize("path", NOT_PUBLIC)
def test_nothing_else_is_routed_on_the_public_host(docs, path):
    assert _routed_to(docs, PUBLIC_HOST, path) == []


def test_the_widget_script_can_stay_off_the_public_host(values):
    docs = documents(merge(values, {"public": {"widgetScript": False}}))
    assert _routed_to(docs, PUBLIC_HOST, "/widget/static/okpay-widget.js") == []


def test_webhooks_are_resent_to_another_pod_and_wait_for_the_conversation_lock(docs):
    annotations = named(docs, "Ingress", "okpay-webhooks")["metadata"]["annotations"]
    assert "non_idempotent" in annotations[f"{NGINX}proxy-next-upstream"].split()
    assert int(annotations[f"{NGINX}proxy-read-timeout"]) > Settings().lock_lifetime_s
    assert f"{NGINX}upstream-hash-by" not in annotations and f"{NGINX}affinity" not in annotations


def test_socket_io_sticks_to_one_pod_by_client_address_by_default(docs):
    annotations = named(docs, "Ingress", "okpay-sockets")["metadata"]["annotations"]
    assert annotations[f"{NGINX}upstream-hash-by"] == "$remote_addr"
    assert int(annotations[f"{NGINX}proxy-read-timeout"]) >= 3600  # a websocket stays open


def test_socket_io_can_stick_by_cookie(values):
    annotations = named(documents(merge(values, {"public": {"socketAffinity": "cookie"}})), "Ingress",
                        "okpay-sockets")["metadata"]["annotations"]
    assert annotations[f"{NGINX}affinity"] == "cookie"
    assert annotations[f"{NGINX}session-cookie-secure"] == "true"
    assert f"{NGINX}upstream-hash-by" not in annotations


def _console_paths() -> List[str]:
    """Every route the console serves, with {parameters} filled in."""

    class Handlers:
        def __getattr__(self, name: str) -> Handlers:
            return self

        async def __call__(self, request: Any) -> None:
            return None

    paths = []
    for definition in route_table(Handlers(), Settings()):
        route = definition.definition
        path = route.prefix + "/file.js" if isinstance(route, web.StaticDef) else route.path
        paths.append(path.replace("{", "").replace("}", ""))
    return paths


def test_the_console_host_routes_every_agent_route_but_not_metrics_or_probes(docs):
    paths = _console_paths()
    assert "/api/tickets/number/reply" in paths and "/static/file.js" in paths
    for path in paths:
        routed = _routed_to(docs, CONSOLE_HOST, path)
        if path in ("/health", "/ready", "/metrics"):
            assert routed == [], path
        else:
            assert routed == ["okpay-console"], path
    for path in ("/metrics", "/health", "/ready", "/socket.io/", "/webhooks/rest/webhook"):
        assert _routed_to(docs, CONSOLE_HOST, path) == [], path


def test_the_console_has_its_own_host_and_certificate(docs):
    console = named(docs, "Ingress", "okpay-console")
    public = named(docs, "Ingress", "okpay-webhooks")
    assert console["spec"]["rules"][0]["host"] != public["spec"]["rules"][0]["host"]
    assert console["spec"]["tls"][0]["secretName"] != public["spec"]["tls"][0]["secretName"]
    assert console["metadata"]["annotations"][f"{NGINX}proxy-buffering"] == "off"  # /api/live streams


def test_the_console_can_be_limited_to_the_teams_networks(values):
    docs = documents(merge(values, {"console": {"allowedSourceRanges": ["10.8.0.0/16", "192.0.2.0/24"]}}))
    annotations = named(docs, "Ingress", "okpay-console")["metadata"]["annotations"]
    assert annotations[f"{NGINX}whitelist-source-range"] == "10.8.0.0/16,192.0.2.0/24"
