"""Services and Ingresses: who reaches which process.

Inside the cluster every role has a ClusterIP Service (the console calls Rasa's API at the rasa
Service, Rasa calls the actions Service). From outside, only what the public listener of
bot/deploy/nginx.py serves, and the console on a host of its own:

- public host (ingress-nginx, TLS): the WeChat and Telegram webhooks (channels that authenticate their
  caller), re-sent to another Rasa pod when the one handling a message dies (the conversation lock and
  the X-Request-ID ingress-nginx sets make that safe, as behind our nginx); the widget's /socket.io/,
  kept on one pod per client (its own Service, so the stickiness applies to it alone); the widget's
  script. Not Rasa's HTTP API, the REST and callback channels (they trust the sender named in the body),
  /metrics, /health or /ready (the kubelet probes the pods directly);
- console host (TLS, its own certificate): the console's pages and API, listed route by route so that
  its /metrics, /health and /ready are not among them.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Tuple

from bot.deploy.kubernetes.values import service_name
from bot.deploy.kubernetes.workloads import SERVERS, labels, metadata
from bot.deploy.nginx import MAX_BODY, webhook_read_timeout_s

NGINX = "nginx.ingress.kubernetes.io/"
#: The console's routes agents use, as (path, pathType). Its /metrics, /health and /ready are not here.
CONSOLE_PATHS: Tuple[Tuple[str, str], ...] = (
    ("/", "Exact"), ("/login", "Exact"), ("/insights", "Exact"), ("/review", "Exact"),
    ("/tickets", "Prefix"), ("/api", "Prefix"), ("/static", "Prefix"), ("/widget", "Prefix"),
)
WEBHOOK_PATHS = ("/webhooks/wechat", "/webhooks/telegram")
SOCKET_PATH = "/socket.io"
WIDGET_SCRIPT_PATH = "/widget/static"


def service(values: Mapping[str, Any], component: str, suffix: str = "") -> Dict[str, Any]:
    name = service_name(values, component) + suffix
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": metadata(values, name, component),
        "spec": {
            "type": "ClusterIP",
            "selector": labels(values, component),
            "ports": [{"name": "http", "port": SERVERS[component], "targetPort": "http", "protocol": "TCP"}],
        },
    }


def _backend(service_name_: str, port: int) -> Dict[str, Any]:
    return {"service": {"name": service_name_, "port": {"number": port}}}


def _ingress(values: Mapping[str, Any], name: str, component: str, host_values: Mapping[str, Any],
             paths: List[Dict[str, Any]], annotations: Dict[str, str]) -> Dict[str, Any]:
    host = host_values["host"]
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": metadata(values, name, component, annotations={
            f"{NGINX}force-ssl-redirect": "true", **annotations}),
        "spec": {
            "ingressClassName": host_values.get("ingressClass", "nginx"),
            "tls": [{"hosts": [host], "secretName": host_values["tlsSecret"]}],
            "rules": [{"host": host, "http": {"paths": paths}}],
        },
    }


def _path(path: str, backend: Dict[str, Any], path_type: str = "Prefix") -> Dict[str, Any]:
    return {"path": path, "pathType": path_type, "backend": backend}


def public_ingresses(values: Mapping[str, Any], lock_lifetime_s: int) -> List[Dict[str, Any]]:
    """The public host: webhooks, socket.io and the widget's script, each Ingress with its own proxy rules."""
    name, public = values["name"], values["public"]
    rasa = _backend(service_name(values, "rasa"), SERVERS["rasa"])
    webhooks = _ingress(values, f"{name}-webhooks", "rasa", public,
                        [_path(path, rasa) for path in WEBHOOK_PATHS], {
                            f"{NGINX}proxy-read-timeout": str(webhook_read_timeout_s(lock_lifetime_s)),
                            f"{NGINX}proxy-next-upstream": "error timeout http_502 http_503 non_idempotent",
                            f"{NGINX}proxy-next-upstream-tries": "3",
                            f"{NGINX}proxy-body-size": MAX_BODY,
                        })
    sticky = ({f"{NGINX}upstream-hash-by": "$remote_addr"} if public.get("socketAffinity", "address") == "address"
              else {f"{NGINX}affinity": "cookie", f"{NGINX}session-cookie-name": "okpay_route",
                    f"{NGINX}session-cookie-path": SOCKET_PATH + "/", f"{NGINX}session-cookie-secure": "true",
                    f"{NGINX}session-cookie-samesite": "Strict"})
    sockets = _ingress(values, f"{name}-sockets", "rasa", public,
                       [_path(SOCKET_PATH, _backend(service_name(values, "rasa") + "-sockets", SERVERS["rasa"]))],
                       {f"{NGINX}proxy-read-timeout": "3600", f"{NGINX}proxy-send-timeout": "3600",
                        f"{NGINX}proxy-body-size": MAX_BODY, **sticky})
    found = [webhooks, sockets]
    if public.get("widgetScript", True):
        found.append(_ingress(values, f"{name}-widget", "console", public,
                              [_path(WIDGET_SCRIPT_PATH, _backend(service_name(values, "console"),
                                                                   SERVERS["console"]))], {}))
    return found


def console_ingress(values: Mapping[str, Any]) -> Dict[str, Any]:
    console = values["console"]
    backend = _backend(service_name(values, "console"), SERVERS["console"])
    annotations = {
        # /api/live streams the pages' updates (server-sent events): no buffering, long reads.
        f"{NGINX}proxy-buffering": "off",
        f"{NGINX}proxy-read-timeout": "3600",
        f"{NGINX}proxy-body-size": "1m",
    }
    if console.get("allowedSourceRanges"):
        annotations[f"{NGINX}whitelist-source-range"] = ",".join(console["allowedSourceRanges"])
    return _ingress(values, f"{values['name']}-console", "console", console,
                    [_path(path, backend, path_type) for path, path_type in CONSOLE_PATHS], annotations)


def services(values: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """A Service per role, and the rasa pods' second one for socket.io (its own stickiness)."""
    return [service(values, "rasa"), service(values, "rasa", "-sockets"), service(values, "actions"),
            service(values, "console")]
