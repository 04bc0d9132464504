"""The rendered manifests of a real install validate against the Kubernetes API schemas (kubernetes-validate,
strict: no unknown field), come in apply order, and roll the pods when a setting changes."""
from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.deploy.kubernetes.render import config_hash, documents, to_yaml
from bot.deploy.kubernetes.values import ValuesError, merge, pod_environment
from bot.settings import PROJECT_ROOT
from tests.deploy.kubernetes.conftest import named, of_kind

VALIDATOR = PROJECT_ROOT / ".venv-tools" / "bin" / "kubernetes-validate"
#: The oldest Kubernetes the manifests are for (CronJob's timeZone is GA from 1.27) and the newest the tool knows.
VERSIONS = ("1.27.0", "1.37.0")


def _validate(path: Path, version: str) -> subprocess.CompletedProcess:
    assert VALIDATOR.exists(), "kubernetes-validate is missing: scripts/test makes .venv-tools (ensure_tools_venv)"
    return subprocess.run([str(VALIDATOR), "--strict", "-k", version, str(path)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_document_validates_against_the_kubernetes_schemas(docs, tmp_path, version):
    path = tmp_path / "okpay.yaml"
    path.write_text(to_yaml(docs), encoding="utf-8")
    result = _validate(path, version)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if " passed for resource " in line]
    assert len(passed) == len(docs) == 18, result.stdout


def test_the_validation_catches_a_wrong_field(docs, tmp_path):
    broken = copy.deepcopy(docs)
    named(broken, "Deployment", "okpay-rasa")["spec"]["template"]["spec"]["containers"][0]["readinessProbe"][
        "httpGet"]["paths"] = "/ready"
    path = tmp_path / "broken.yaml"
    path.write_text(to_yaml(broken), encoding="utf-8")
    result = _validate(path, VERSIONS[-1])
    assert result.returncode != 0
    assert "'paths' was unexpected" in result.stdout + result.stderr


def test_the_yaml_reads_back_as_the_documents(docs):
    assert list(yaml.safe_load_all(to_yaml(docs))) == docs
    assert "&id" not in to_yaml(docs)  # no anchors: every object reads on its own


def test_setup_and_app_parts_make_the_whole_in_apply_order(values):
    setup, app, whole = documents(values, "setup"), documents(values, "app"), documents(values)
    assert [d["kind"] for d in setup] == ["ConfigMap", "Secret", "Job"]
    assert setup + app == whole
    assert not {"ConfigMap", "Secret", "Job"} & {d["kind"] for d in app}
    assert [d["kind"] for d in app][:4] == ["Service"] * 4  # Services before the pods that the console calls


def test_the_secret_can_be_left_to_the_operator(values):
    docs = documents(values, with_secret=False)
    assert not of_kind(docs, "Secret")
    hashes = {d["spec"]["template"]["metadata"]["annotations"]["okpay.example/config-hash"]
              for d in of_kind(docs, "Deployment")}
    # The hash does not reveal anything of a Secret it did not render.
    assert hashes == {config_hash(pod_environment(values), with_secret=False)}


def test_a_changed_setting_or_secret_rolls_every_deployment(values):
    def hashes(changed):
        return {d["spec"]["template"]["metadata"]["annotations"]["okpay.example/config-hash"]
                for d in of_kind(documents(changed), "Deployment")}

    before = hashes(values)
    assert len(before) == 1
    assert hashes(merge(values, {"settings": {"queue_limit": 40}})) != before
    assert hashes(merge(values, {"secrets": {"action_secret": "another-real-secret-of-32-chars!"}})) != before
    assert hashes(merge(values, {"rasa": {"autoscaling": {"maxReplicas": 8}}})) == before


def test_no_document_names_a_namespace(docs):
    assert all("namespace" not in doc["metadata"] for doc in docs)


def test_an_unknown_part_is_refused(values):
    with pytest.raises(ValueError, match="part"):
        documents(values, "everything")


@pytest.mark.parametrize("override, complaint", [
    ({"name": "OKPay"}, "name 'OKPay'"),
    ({"name": "okpay-"}, "name 'okpay-'"),
    ({"image": {"tag": "1.0+build"}}, "image.tag '1.0+build'"),
    ({"image": {"tag": "v" * 64}}, "image.tag"),
])
def test_names_kubernetes_would_refuse_are_refused_first(values, override, complaint):
    with pytest.raises(ValuesError, match=re.escape(complaint)):
        documents(merge(values, override))
