"""The load balancer of the replicated deployment: an nginx configuration made from the settings.

Three listeners:

- public (`proxy_host:proxy_port`): what users' channels reach, and only the
  channels that authenticate their caller: WeChat (signature), Telegram
  (secret token) and the widget's `/socket.io/` (signed token), plus
  `/health` and `/ready`. The REST and callback channels trust the sender in
  the body, so they answer 404 here, as does Rasa's HTTP API
  (`/conversations`, `/model`, `/status` …).
- internal Rasa (`rasa_host:rasa_port`): the HTTP API for the console (a
  signed JWT in a header, `bot.runtime.api_auth`) and the REST and callback
  channels for trusted callers (the terminal chat, an integrator's backend),
  balanced over the replicas.
- internal actions (`action_host:action_port`): where Rasa calls custom actions.

A replica that refuses connections is skipped for 5 s; a message whose
replica died while processing it is sent to another (`non_idempotent`), which
waits for the conversation's lock (held at most `lock_lifetime_s`). Custom
actions are not re-sent after they reached a replica: an action that ran
halfway must not run twice. Every request carries `X-Request-Id`, the same on
a re-send, so the replica that gets a message again can tell whether the dead
one had already stored its turn (`bot.runtime.message_guard`). socket.io sticks to one replica per client
address: its polling transport keeps state in the process that made the session.

TLS (OKPAY_TLS_CERT_FILE and OKPAY_TLS_KEY_FILE set): the public routes are
served over HTTPS on `https_port` only (TLSv1.2 and 1.3, forward-secret AEAD
ciphers, HSTS for a year), and `proxy_port` answers every request with a 301
to HTTPS except `/health`, which local probes call without a certificate.
WeChat and Telegram deliver webhooks over HTTPS only. The internal listeners
stay plain HTTP on loopback.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List

from bot.settings import Settings

#: Largest request body a balancer takes (this nginx, and the Kubernetes Ingress of the public host).
MAX_BODY = "256k"
#: Who nginx's workers run as when it is started as root.
WORKER_USER = "nobody"
_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
#: Mozilla's "intermediate" TLS 1.2 ciphers (forward secrecy, AEAD only); TLS 1.3 picks from its own safe set.
TLS_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
               "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
HSTS_MAX_AGE_S = 365 * 24 * 3600


def _worker_group() -> str:
    import grp

    for name in ("nogroup", "nobody"):
        try:
            grp.getgrnam(name)
            return name
        except KeyError:
            continue
    return WORKER_USER


def find_nginx(settings: Settings) -> Path | None:
    if settings.nginx_bin.exists():
        return settings.nginx_bin
    found = shutil.which("nginx")
    return Path(found) if found else None


@dataclass(frozen=True)
class Upstreams:
    """Where the replicas are (host:port) and the interface every listener binds: by default the settings'
    loopback ports (`scripts/run --replicated`); containers name other hosts (bot/deploy/container.py)."""

    rasa: List[str]
    actions: List[str]
    #: None: each listener on its own setting (proxy_host, rasa_host, action_host).
    listen_host: str | None = None

    @classmethod
    def on_this_machine(cls, settings: Settings) -> Upstreams:
        return cls([f"127.0.0.1:{port}" for port in settings.rasa_replica_ports],
                   [f"127.0.0.1:{port}" for port in settings.action_replica_ports])

    def listen(self, host: str) -> str:
        return self.listen_host or host


def _servers(servers: List[str]) -> str:
    return "\n".join(f"        server {server} max_fails=1 fail_timeout=5s;" for server in servers)


def webhook_read_timeout_s(lock_lifetime_s: int) -> int:
    """How long a balancer waits for a webhook's answer: a message may first wait for its conversation's lock,
    held at most `lock_lifetime_s` (the Kubernetes Ingress waits as long, bot.deploy.kubernetes.network)."""
    return lock_lifetime_s + 30


def _webhooks(channel: str, forwarded: str, lock_wait: int) -> str:
    """The location of one channel's webhooks (all channels' with `channel` ""), re-sent to another replica
    when the one handling a message dies (the conversation lock and the request id make that safe)."""
    return f"""        location /webhooks/{channel + "/" if channel else ""} {{
            proxy_pass http://rasa;{forwarded}
            proxy_read_timeout {lock_wait}s;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
        }}
"""


def _public_listen(settings: Settings, host: str) -> str:
    """The public server's listener on `host`: plain HTTP, or HTTPS with the settings' certificate and HSTS."""
    if not settings.tls:
        return f"        listen {host}:{settings.proxy_port};"
    return f"""        listen {host}:{settings.https_port} ssl;
        ssl_certificate {settings.resolve(settings.tls_cert_file)};
        ssl_certificate_key {settings.resolve(settings.tls_key_file)};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers {TLS_CIPHERS};
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:okpay_tls:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;
        add_header Strict-Transport-Security "max-age={HSTS_MAX_AGE_S}" always;"""


def _redirect_server(settings: Settings, host: str) -> str:
    """With TLS, the public plain-HTTP port on `host`: /health for local probes, a 301 to HTTPS for the rest."""
    if not settings.tls:
        return ""
    port = "" if settings.https_port == 443 else f":{settings.https_port}"
    return f"""    # Public, plain HTTP: sent to HTTPS (/health stays, for probes on the machine or the pod).
    server {{
        listen {host}:{settings.proxy_port};

        location = /health {{
            default_type application/json;
            return 200 '{{"status": "ok"}}';
        }}

        location / {{
            return 301 https://$host{port}$request_uri;
        }}
    }}

"""


def render(settings: Settings, run_dir: Path, log_dir: Path, upstreams: Upstreams | None = None) -> str:
    """The whole nginx.conf (nginx runs in the foreground, files under `run_dir`)."""
    upstreams = upstreams or Upstreams.on_this_machine(settings)
    # Started as root, the master drops its workers to an unprivileged user (they write only the temp dirs,
    # which write_config hands to that user); started as anybody else, workers run as that user.
    user = f"user {WORKER_USER} {_worker_group()};\n" if os.geteuid() == 0 else ""
    lock_wait = webhook_read_timeout_s(settings.lock_lifetime_s)
    forwarded = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;"""
    return f"""# Made by bot/deploy/nginx.py from the settings; do not edit (it is rewritten at every start).
{user}worker_processes 1;
daemon off;
pid {run_dir}/nginx.pid;
error_log {log_dir}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    # The path without its query string: WeChat's signature and nonce, or a secret someone put in a
    # URL, never reach the log.
    # Every replica tried for a request is in upstream=…: "a, b" shows a re-send after `a` failed.
    log_format okpay '$remote_addr [$time_local] "$request_method $uri $server_protocol" $status '
                     '$body_bytes_sent $request_time "$http_user_agent" $request_id '
                     'upstream="$upstream_addr" upstream_status="$upstream_status"';
    access_log {log_dir}/nginx-access.log okpay;
    client_body_temp_path {run_dir}/client_body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
    client_max_body_size {MAX_BODY};
    # Bodies and answers stay in memory: the unprivileged workers need no temp file in a directory
    # they might not reach (a body is at most MAX_BODY; an answer larger than the buffers streams through).
    client_body_buffer_size {MAX_BODY};
    proxy_max_temp_file_size 0;
    server_tokens off;

    upstream rasa {{
        least_conn;
{_servers(upstreams.rasa)}
        keepalive 64;
    }}

    upstream rasa_sockets {{
        ip_hash;
{_servers(upstreams.rasa)}
    }}

    upstream actions {{
        least_conn;
{_servers(upstreams.actions)}
        keepalive 32;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      "";
    }}

{_redirect_server(settings, upstreams.listen(settings.proxy_host))}    # Public: users' channels.
    server {{
{_public_listen(settings, upstreams.listen(settings.proxy_host))}

        location = /health {{
            default_type application/json;
            return 200 '{{"status": "ok"}}';
        }}

        location = /ready {{
            proxy_pass http://rasa/ready;{forwarded}
            proxy_set_header X-OKPay-Public 1;
        }}

{_webhooks("wechat", forwarded, lock_wait)}
{_webhooks("telegram", forwarded, lock_wait)}
        location /socket.io/ {{
            proxy_pass http://rasa_sockets;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 3600s;
        }}

        location / {{
            return 404;
        }}
    }}

    # Internal: Rasa's HTTP API (signed JWT) for the console, and the REST and callback channels.
    server {{
        listen {upstreams.listen(settings.rasa_host)}:{settings.rasa_port};
{_webhooks("", forwarded, lock_wait)}
        location / {{
            proxy_pass http://rasa;{forwarded}
            proxy_read_timeout {lock_wait}s;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}

    # Internal: custom actions, called by Rasa.
    server {{
        listen {upstreams.listen(settings.action_host)}:{settings.action_port};
        location / {{
            proxy_pass http://actions;{forwarded}
            proxy_read_timeout 300s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


def write_config(settings: Settings, run_dir: Path, log_dir: Path, upstreams: Upstreams | None = None) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in _TEMP_DIRS:
        (run_dir / name).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(run_dir / name, WORKER_USER, _worker_group())
    path = run_dir / "nginx.conf"
    path.write_text(render(settings, run_dir, log_dir, upstreams), encoding="utf-8")
    return path


def nginx_command(nginx: Path, config: Path) -> List[str]:
    return [str(nginx), "-c", str(config), "-p", str(config.parent), "-e", str(config.parent / "startup-error.log")]


def tls_problems(settings: Settings) -> List[str]:
    """What is wrong with the certificate and key files, said before nginx starts (none without TLS)."""
    if not settings.tls:
        return []
    problems = []
    for variable, setting, marker in (("OKPAY_TLS_CERT_FILE", settings.tls_cert_file, "-----BEGIN CERTIFICATE-----"),
                                      ("OKPAY_TLS_KEY_FILE", settings.tls_key_file, "PRIVATE KEY-----")):
        path = settings.resolve(setting)
        try:
            text = path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            problems.append(f"{variable}: {path} does not exist")
            continue
        except OSError as error:
            problems.append(f"{variable}: {path} cannot be read ({error.strerror or error})")
            continue
        if marker not in text:
            problems.append(f"{variable}: {path} holds no PEM {'certificate' if 'CERT' in variable else 'private key'}")
    return problems


def check_config(nginx: Path, config: Path) -> None:
    """`nginx -t` on `config` (it loads the certificate and key: a key that does not match shows here)."""
    result = subprocess.run([str(nginx), "-t", "-q", "-c", str(config), "-p", str(config.parent),
                             "-e", str(config.parent / "startup-error.log")], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nginx refuses its configuration {config}: {result.stderr.strip()}")


def plain_http_warning(settings: Settings) -> str | None:
    """What to tell an operator who runs WeChat or Telegram in production without TLS at nginx.

    A warning, not a refusal: TLS is often terminated in front (a cloud load
    balancer, the Kubernetes Ingress), and nginx cannot tell.
    """
    if settings.environment != "production" or not (settings.wechat_token or settings.telegram_token):
        return None
    if settings.replicated and settings.tls:
        return None
    where = (f"nginx's public listener {settings.public_url}" if settings.replicated
             else f"Rasa on {settings.rasa_url}")
    return (f"WeChat and Telegram deliver webhooks over HTTPS only, and {where} is plain HTTP: set "
            "OKPAY_TLS_CERT_FILE and OKPAY_TLS_KEY_FILE (replicated layout), or terminate TLS in front of it "
            "(docs/deployment.md, TLS)")
