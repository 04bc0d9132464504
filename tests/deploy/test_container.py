"""The image's entry point: each role's command and environment, the migrations, nginx's file, the health check."""
from __future__ import annotations

import http.server
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from bot.deploy import container
from bot.deploy.container import ContainerError, health, launch, listening
from bot.deploy.processes import action_server_command, console_command, rasa_server_command
from bot.model_files import model_name
from bot.settings import Settings, reset_settings_cache
from tests.servers import free_port

TOKEN = "rasa-token-of-a-real-length-0123456789"
SECRET = "action-secret-of-a-real-length-0123456"
#: What deploy/compose.yml gives every container.
COMPOSE = dict(
    environment="production", deployment="replicated", rasa_token=TOKEN, action_secret=SECRET,
    database_url="postgresql://okpay:pw@postgres:5432/okpay", redis_url="redis://redis:6379/0",
    rasa_host="nginx", rasa_port=5005, action_host="nginx", action_port=5055,
    console_host="console", console_port=5080,
)


@pytest.fixture
def models(tmp_path, monkeypatch):
    """A models directory holding a model of the current sources (the image's bot/models)."""
    directory = tmp_path / "models"
    directory.mkdir()
    monkeypatch.setenv("OKPAY_MODELS_DIR", str(directory))
    reset_settings_cache()
    yield directory
    reset_settings_cache()


def test_rasa_runs_scripts_runs_command_on_every_interface_and_reaches_the_actions_through_nginx(models):
    model = models / f"{model_name()}.tar.gz"
    model.write_bytes(b"model")
    settings = Settings(**COMPOSE)
    process = launch("rasa", settings)
    assert process.command == rasa_server_command(listening(settings, "rasa"), model, 5005)
    assert process.command[process.command.index("--interface") + 1] == "0.0.0.0"
    assert process.command[process.command.index("--endpoints") + 1].endswith("endpoints.production.yml")
    assert not any(TOKEN in part or SECRET in part for part in process.command)
    env = process.env
    assert env["OKPAY_RASA_TOKEN"] == TOKEN and env["OKPAY_ACTION_SECRET"] == SECRET
    assert env["OKPAY_ACTION_ENDPOINT_URL"] == "http://nginx:5055/webhook"
    assert env["OKPAY_TRACKER_DB_HOST"] == "postgres" and env["OKPAY_TRACKER_DB_PASSWORD"] == "pw"
    assert env["OKPAY_LOCK_REDIS_HOST"] == "redis" and env["OKPAY_EVENT_STREAM_URL"] == "redis://redis:6379/0"
    assert env["RASA_TELEMETRY_ENABLED"] == "false"


def test_rasa_without_a_model_says_where_it_looked(models):
    with pytest.raises(ContainerError, match=f"no trained model at {models}/{model_name()}.tar.gz"):
        launch("rasa", Settings(**COMPOSE))


def test_the_action_server_listens_on_every_interface_at_5055():
    process = launch("actions", Settings(**COMPOSE))
    assert process.command == action_server_command(5055)
    assert process.env["OKPAY_ACTION_HOST"] == "0.0.0.0" and process.env["SANIC_HOST"] == "0.0.0.0"
    assert process.env["OKPAY_ACTION_SECRET"] == SECRET
    assert process.env["OKPAY_DATABASE_URL"] == COMPOSE["database_url"]


def test_the_console_listens_on_every_interface_and_reaches_rasa_through_nginx():
    process = launch("console", Settings(**COMPOSE))
    assert process.command == console_command()
    env = process.env
    assert (env["OKPAY_CONSOLE_HOST"], env["OKPAY_CONSOLE_PORT"]) == ("0.0.0.0", "5080")
    assert (env["OKPAY_RASA_HOST"], env["OKPAY_RASA_PORT"]) == ("nginx", "5005")
    assert env["OKPAY_RASA_TOKEN"] == TOKEN


@pytest.mark.parametrize("role, missing, named", [
    ("rasa", "rasa_token", "OKPAY_RASA_TOKEN"), ("rasa", "action_secret", "OKPAY_ACTION_SECRET"),
    ("console", "rasa_token", "OKPAY_RASA_TOKEN"), ("actions", "action_secret", "OKPAY_ACTION_SECRET"),
])
def test_a_server_without_its_shared_secret_does_not_make_one_up(role, missing, named):
    """Separate containers cannot share a secret made up at start (what scripts/run does on one machine)."""
    settings = Settings(**{**COMPOSE, "environment": "development", missing: ""})
    with pytest.raises(ContainerError, match=named):
        launch(role, settings)


def test_an_unknown_role_is_refused():
    with pytest.raises(ContainerError, match="unknown server role 'migrate'"):
        launch("migrate", Settings(**COMPOSE))
    with pytest.raises(SystemExit):
        container.main(["shell"])


def test_migrate_brings_the_stores_to_the_newest_schema(tmp_path):
    settings = Settings(ticket_db=tmp_path / "tickets.db", tracker_db=tmp_path / "tracker.db")
    container.migrate(settings)
    tickets = inspect(create_engine(settings.ticket_database_url))
    assert {"alembic_version", "tickets", "agents"} <= set(tickets.get_table_names())
    assert "events" in inspect(create_engine(settings.conversations_url)).get_table_names()


def test_migrate_refuses_a_replicated_deployment_without_postgresql_and_redis():
    settings = Settings(deployment="replicated", database_url="sqlite:///x.db")
    with pytest.raises(ContainerError, match="OKPAY_DATABASE_URL must be a PostgreSQL URL.*OKPAY_REDIS_URL"):
        container.migrate(settings)


def test_nginx_config_balances_the_named_replicas_and_logs_to_the_container_streams(tmp_path):
    config = container.write_nginx_config(Settings(**COMPOSE), tmp_path, ["rasa-1:5005", "rasa-2:5005"],
                                          ["actions-1:5055"])
    text = config.read_text(encoding="utf-8")
    assert text.count("server rasa-1:5005 ") == 2 and text.count("server rasa-2:5005 ") == 2
    assert "server actions-1:5055 " in text and "127.0.0.1:" not in text
    for listener in ("0.0.0.0:8080", "0.0.0.0:5005", "0.0.0.0:5055"):
        assert f"listen {listener};" in text
    assert (tmp_path / "log" / "nginx-access.log").readlink() == Path("/dev/stdout")
    assert (tmp_path / "log" / "nginx-error.log").readlink() == Path("/dev/stderr")
    # Written again over the same volume (a second `up`): the links are replaced, not an error.
    container.write_nginx_config(Settings(**COMPOSE), tmp_path, ["rasa-1:5005"], ["actions-1:5055"])
    with pytest.raises(ContainerError, match="at least one --rasa and one --actions"):
        container.write_nginx_config(Settings(**COMPOSE), tmp_path, [], ["actions-1:5055"])


class _Answers(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(self.status if self.path == "/ready" else 404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    """An HTTP server on a free port whose /ready answers `server.RequestHandlerClass.status`."""
    handler = type("Answers", (_Answers,), {})
    httpd = http.server.HTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_health_asks_the_running_roles_own_readiness_url(tmp_path, server):
    role_file = tmp_path / "role"
    ports = {**container.PORTS, "actions": server.server_port}
    assert health(role_file, ports) is False  # nothing started yet
    role_file.write_text("actions")
    assert health(role_file, ports) is True
    server.RequestHandlerClass.status = 503
    assert health(role_file, ports) is False
    role_file.write_text("console")  # the console's /health: this server answers 404 there
    assert health(role_file, {**ports, "console": server.server_port}) is False
    role_file.write_text("rasa")
    assert health(role_file, {**ports, "rasa": free_port()}) is False  # nobody listening


def test_main_writes_the_role_and_replaces_itself_with_the_server(tmp_path, monkeypatch):
    monkeypatch.setattr(container, "ROLE_FILE", tmp_path / "role")
    replaced = []
    monkeypatch.setattr(container.os, "execvpe", lambda file, args, env: replaced.append((file, args, env)))
    for name, value in {"ENVIRONMENT": "production", "RASA_TOKEN": TOKEN, "ACTION_SECRET": SECRET}.items():
        monkeypatch.setenv(f"OKPAY_{name}", value)
    reset_settings_cache()
    try:
        container.main(["actions"])
    finally:
        reset_settings_cache()
    assert (tmp_path / "role").read_text() == "actions"
    [(file, args, env)] = replaced
    assert file == sys.executable and args == action_server_command(5055) and env["OKPAY_ACTION_SECRET"] == SECRET


def test_main_says_which_settings_production_refuses(monkeypatch, capsys):
    monkeypatch.setenv("OKPAY_ENVIRONMENT", "production")
    monkeypatch.setenv("OKPAY_RASA_TOKEN", "changeme")
    reset_settings_cache()
    try:
        assert container.main(["console"]) == 2
    finally:
        reset_settings_cache()
    assert "OKPAY_RASA_TOKEN must be set to a real secret" in capsys.readouterr().err


def _runtime_files_the_code_reads() -> set:
    """Top-level files the servers read through PROJECT_ROOT (`PROJECT_ROOT / "logging.yml"` …), found in bot/.

    Tests' and evaluation's data (tests/, results/, var/) are not the image's."""
    import re

    from bot.settings import PROJECT_ROOT

    pattern = re.compile(r'PROJECT_ROOT / "([^"/]+)"')
    names = set()
    for source in (PROJECT_ROOT / "bot").rglob("*.py"):
        names.update(pattern.findall(source.read_text(encoding="utf-8")))
    return {name for name in names if "." in name and name.split(".")[0] not in ("tests", "results", "var")}


def test_every_file_the_servers_read_at_the_top_of_the_project_is_copied_into_the_image():
    from bot.settings import PROJECT_ROOT

    wanted = _runtime_files_the_code_reads()
    assert {"logging.yml", "credentials.yml", "endpoints.production.yml", "domain.yml"} <= wanted
    copied = set()
    for line in (PROJECT_ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            copied.update(line.split()[1:-1])
    allowed = {line[1:] for line in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.startswith("!")}
    assert wanted - copied == set(), "add them to deploy/Containerfile's COPY"
    assert wanted - allowed == set(), "allow them in .dockerignore"
