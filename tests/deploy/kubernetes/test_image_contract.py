"""The manifests and the image agree: each pod's environment starts its role on the port its Deployment names.

The renderer (bot/deploy/kubernetes) and the image's entry point (bot/deploy/container.py) are written to one
contract; this runs the entry point's own launch with what a pod would read, so a setting one side renames or a
secret the other stops passing fails here rather than in a cluster."""
from __future__ import annotations

import pytest

from bot.deploy import container
from bot.deploy.kubernetes.values import pod_environment, settings_of
from bot.model_files import model_name
from bot.settings import reset_settings_cache
from tests.deploy.kubernetes.conftest import named


@pytest.fixture
def pod(values, monkeypatch, tmp_path):
    """The Settings a pod of the example install reads, with the image's model in place."""
    (tmp_path / f"{model_name()}.tar.gz").write_bytes(b"model")
    environment = pod_environment(values).all
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OKPAY_MODELS_DIR", str(tmp_path))
    reset_settings_cache()
    yield settings_of({**environment, "OKPAY_MODELS_DIR": str(tmp_path)}), environment
    reset_settings_cache()


@pytest.mark.parametrize("role", ["rasa", "actions", "console"])
def test_each_deployment_s_environment_starts_its_role_on_its_port_on_every_interface(docs, pod, role):
    settings, environment = pod
    deployment = named(docs, "Deployment", f"okpay-{role}")
    (spec,) = deployment["spec"]["template"]["spec"]["containers"]
    (port,) = [entry["containerPort"] for entry in spec["ports"]]
    launched = container.launch(spec["args"][0], settings)
    field = {"rasa": "rasa", "actions": "action", "console": "console"}[role]
    own = container.listening(settings, role)
    assert (getattr(own, f"{field}_host"), getattr(own, f"{field}_port")) == ("0.0.0.0", port)
    if role != "actions":  # the others reach the actions through their Service, not themselves
        assert launched.env["OKPAY_ACTION_ENDPOINT_URL"] == f"http://okpay-actions:{container.PORTS['actions']}/webhook"
    if role == "rasa":
        assert launched.command[launched.command.index("--port") + 1] == str(port)
        assert launched.command[launched.command.index("--endpoints") + 1].endswith("endpoints.production.yml")
    # What the servers need from the pod reaches them: the shared secrets, the stores, the actions' address.
    assert launched.env["OKPAY_RASA_TOKEN"] == environment["OKPAY_RASA_TOKEN"]
    assert launched.env["OKPAY_ACTION_SECRET"] == environment["OKPAY_ACTION_SECRET"]
    assert launched.env["OKPAY_DATABASE_URL"] == environment["OKPAY_DATABASE_URL"]


def test_the_pods_environment_without_a_shared_secret_stops_the_server(pod, monkeypatch):
    settings, _ = pod
    with pytest.raises(container.ContainerError, match="OKPAY_ACTION_SECRET"):
        container.launch("rasa", settings.copy(update={"action_secret": ""}))
