"""TLS at the load balancer, with a real nginx and a certificate made here: HTTPS with HSTS on the public
routes only, plain HTTP sent to HTTPS, old protocols refused, bad key files stopped before anything starts."""
from __future__ import annotations

import contextlib
import datetime
import ipaddress
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path
from typing import Iterator, Tuple

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.deploy.nginx import check_config, find_nginx, plain_http_warning, tls_problems, write_config
from bot.deploy.processes import plan
from bot.settings import Settings
from tests.deploy.replicas import Replica
from tests.servers import free_port, replicated_ports

YEAR_S = 365 * 24 * 3600
#: Never answered publicly, over HTTPS either: metrics, Rasa's HTTP API, the REST and callback channels.
PRIVATE_PATHS = ("/metrics", "/conversations/someone/tracker", "/model", "/status", "/webhooks/rest/webhook",
                 "/webhooks/callback/webhook", "/version")


def make_certificate(directory: Path, name: str = "server") -> Tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (owner-only), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def tls_settings(cert_file: Path, key_file: Path, **values) -> Settings:
    return Settings(**replicated_ports(dict(
        deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
        redis_url="redis://127.0.0.1:6379/0", tls_cert_file=cert_file, tls_key_file=key_file,
        https_port=free_port(), **values), rasa_replicas=1, action_replicas=1))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def balancer(tmp_path_factory, certificate) -> Iterator[Tuple[Settings, Replica]]:
    """nginx with TLS in front of a stand-in replica."""
    home = tmp_path_factory.mktemp("balancer")
    settings = tls_settings(*certificate)
    nginx = find_nginx(settings)
    if nginx is None:
        pytest.fail("nginx is missing: scripts/test installs Debian's nginx-light")
    replica = Replica(settings.rasa_replica_ports[0])
    replica.start()
    config = write_config(settings, home / "nginx", home / "log")
    (home / "log").mkdir()
    check_config(nginx, config)
    server = subprocess.Popen([str(nginx), "-c", str(config), "-p", str(config.parent), "-e",
                               str(home / "log" / "e.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with contextlib.suppress(requests.ConnectionError):
                requests.get(f"http://{settings.proxy_host}:{settings.proxy_port}/health", timeout=1)
                break
            time.sleep(0.05)
        yield settings, replica
    finally:
        server.terminate()
        server.wait(10)
        replica.sock.close()


def hsts_max_age(response: requests.Response) -> int:
    found = re.fullmatch(r"max-age=(\d+)(;.*)?", response.headers.get("Strict-Transport-Security", ""))
    return int(found.group(1)) if found else 0


def test_the_public_routes_answer_over_https_with_hsts(balancer, certificate):
    settings, replica = balancer
    assert settings.public_url == f"https://127.0.0.1:{settings.https_port}"
    health = requests.get(f"{settings.public_url}/health", verify=str(certificate[0]), timeout=10)
    assert health.status_code == 200 and hsts_max_age(health) >= YEAR_S
    before = len(replica.heads)
    webhook = requests.post(f"{settings.public_url}/webhooks/telegram/webhook", json={}, verify=str(certificate[0]),
                            timeout=10)
    assert webhook.status_code == 200 and hsts_max_age(webhook) >= YEAR_S
    forwarded = replica.heads[before]
    assert forwarded.startswith("POST /webhooks/telegram/webhook ") and "X-Forwarded-Proto: https" in forwarded


def test_plain_http_is_sent_to_https_except_health(balancer):
    settings, replica = balancer
    plain = f"http://{settings.proxy_host}:{settings.proxy_port}"
    before = len(replica.heads)
    for method in ("GET", "POST"):
        response = requests.request(method, f"{plain}/webhooks/wechat/webhook?signature=s&nonce=n",
                                    allow_redirects=False, timeout=10)
        assert response.status_code == 301
        assert response.headers["Location"] == (f"https://127.0.0.1:{settings.https_port}"
                                                "/webhooks/wechat/webhook?signature=s&nonce=n")
    assert requests.get(f"{plain}/socket.io/?EIO=4", allow_redirects=False, timeout=10).status_code == 301
    assert len(replica.heads) == before  # nothing reached Rasa over plain HTTP
    health = requests.get(f"{plain}/health", allow_redirects=False, timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert "Strict-Transport-Security" not in health.headers  # HSTS over plain HTTP means nothing to browsers


def test_private_routes_stay_private_over_https(balancer, certificate):
    settings, replica = balancer
    before = len(replica.heads)
    for path in PRIVATE_PATHS:
        for method in ("GET", "POST"):
            response = requests.request(method, settings.public_url + path, verify=str(certificate[0]), timeout=10)
            assert response.status_code == 404, (method, path)
    assert len(replica.heads) == before


def handshake(port: int, version: ssl.TLSVersion) -> str:
    """The protocol agreed with a client that offers only `version` (and every cipher, however weak)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")  # the client would refuse TLS 1.1 itself at Debian's default level
    context.minimum_version = context.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with context.wrap_socket(sock) as tls:
            return tls.version()


def test_tls_1_1_is_refused_by_the_server_and_1_2_and_1_3_accepted(balancer):
    settings, _ = balancer
    with pytest.raises(ssl.SSLError) as refused:
        handshake(settings.https_port, ssl.TLSVersion.TLSv1_1)
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION"  # nginx's alert, not our client giving up
    assert handshake(settings.https_port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(settings.https_port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"


def test_without_tls_the_public_listener_stays_plain_http_with_no_redirect(tmp_path):
    settings = Settings(deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
                        redis_url="redis://127.0.0.1:6379/0")
    text = write_config(settings, tmp_path / "nginx", tmp_path / "log").read_text(encoding="utf-8")
    assert " ssl" not in text and "return 301" not in text and "Strict-Transport-Security" not in text
    assert tls_problems(settings) == [] and settings.public_url.startswith("http://")


def test_the_https_listener_is_checked_free_and_the_probe_needs_no_certificate(certificate):
    settings = tls_settings(*certificate)
    nginx = plan(settings, Path("m.tar.gz"), Path("nginx.conf"), Path("/usr/sbin/nginx"))[0]
    assert (settings.proxy_host, settings.https_port) in nginx.listens
    assert nginx.ready_url == f"http://{settings.proxy_host}:{settings.proxy_port}/health"


def test_missing_unreadable_or_wrong_files_are_named_before_start(tmp_path, certificate):
    cert_file, key_file = certificate
    missing = tls_problems(tls_settings(cert_file, tmp_path / "nowhere.key"))
    assert missing == [f"OKPAY_TLS_KEY_FILE: {tmp_path / 'nowhere.key'} does not exist"]
    (tmp_path / "a-directory").mkdir()
    unreadable = tls_problems(tls_settings(tmp_path / "a-directory", key_file))
    assert len(unreadable) == 1 and unreadable[0].startswith("OKPAY_TLS_CERT_FILE:") and "cannot be read" in unreadable[0]
    swapped = tls_problems(tls_settings(key_file, cert_file))
    assert swapped == [f"OKPAY_TLS_CERT_FILE: {key_file} holds no PEM certificate",
                       f"OKPAY_TLS_KEY_FILE: {cert_file} holds no PEM private key"]


def test_a_key_of_another_certificate_is_refused_by_nginx_before_start(tmp_path, certificate):
    nginx = find_nginx(Settings())
    if nginx is None:
        pytest.fail("nginx is missing: scripts/test installs Debian's nginx-light")
    _, other_key = make_certificate(tmp_path, "other")
    settings = tls_settings(certificate[0], other_key)
    assert tls_problems(settings) == []  # both files are well-formed PEM …
    (tmp_path / "log").mkdir()
    with pytest.raises(RuntimeError, match="nginx refuses its configuration.*key values mismatch"):
        check_config(nginx, write_config(settings, tmp_path / "nginx", tmp_path / "log"))  # … but not a pair


def test_the_start_stops_at_a_missing_key_before_any_process(tmp_path, certificate):
    from bot.cli.serve import running_stack

    settings = tls_settings(certificate[0], tmp_path / "nowhere.key", log_dir=tmp_path / "log",
                            tracker_db=tmp_path / "t.db")
    with pytest.raises(RuntimeError, match="TLS is not usable: OKPAY_TLS_KEY_FILE"):
        with running_stack(settings):
            pass
    assert not (tmp_path / "supervisor").exists() and not (tmp_path / "nginx").exists()


PRODUCTION = dict(environment="production", rasa_token="a-real-token-0123456789abcd",
                  action_secret="a-real-action-secret-0123456")


def test_production_webhooks_without_tls_get_a_warning(certificate):
    replicated = dict(deployment="replicated", database_url="postgresql://postgres@127.0.0.1/okpay",
                      redis_url="redis://127.0.0.1:6379/0")
    warning = plain_http_warning(Settings(**PRODUCTION, **replicated, telegram_token="t"))
    assert "HTTPS only" in warning and "OKPAY_TLS_CERT_FILE" in warning and "http://127.0.0.1:8080" in warning
    assert "Rasa on http://127.0.0.1:5005" in plain_http_warning(Settings(**PRODUCTION, wechat_token="w"))
    cert_file, key_file = certificate
    assert plain_http_warning(Settings(**PRODUCTION, **replicated, telegram_token="t", tls_cert_file=cert_file,
                                       tls_key_file=key_file)) is None
    assert plain_http_warning(Settings(**PRODUCTION, **replicated)) is None  # no public webhook channel
    assert plain_http_warning(Settings(**replicated, telegram_token="t")) is None  # development


def test_the_warning_is_printed_when_the_servers_start(monkeypatch, capsys, tmp_path):
    from bot.cli import serve
    from bot.settings import reset_settings_cache

    for name, value in {**PRODUCTION, "deployment": "replicated", "telegram_token": "t",
                        "log_dir": str(tmp_path / "log")}.items():
        monkeypatch.setenv(f"OKPAY_{name.upper()}", value)
    reset_settings_cache()
    try:
        assert serve.main([]) == 1  # no OKPAY_DATABASE_URL: stops before starting anything
    finally:
        reset_settings_cache()
    errors = capsys.readouterr().err
    assert "warning: WeChat and Telegram deliver webhooks over HTTPS only" in errors
    assert "needs" in errors
