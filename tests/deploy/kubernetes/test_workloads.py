"""The pods: probes, resources, an unprivileged read-only process, the contract's roles and ports, and what
keeps them up (autoscaler, disruption budgets)."""
from __future__ import annotations

from bot.deploy.kubernetes.render import documents
from bot.deploy.kubernetes.values import merge
from tests.deploy.kubernetes.conftest import named, of_kind, pod_specs

#: The image's roles and ports (bot.deploy.container).
CONTRACT = {"okpay-rasa": ("rasa", 5005), "okpay-actions": ("actions", 5055), "okpay-console": ("console", 5080)}


def test_every_deployment_has_both_probes_requests_and_a_memory_limit(docs):
    deployments = of_kind(docs, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} == set(CONTRACT)
    for deployment in deployments:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        name = deployment["metadata"]["name"]
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}, name
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}, name
        # Liveness gives up later than readiness: a pod whose database is away leaves the Service, it is not killed.
        live, ready = container["livenessProbe"], container["readinessProbe"]
        assert live["periodSeconds"] * live["failureThreshold"] > ready["periodSeconds"] * ready["failureThreshold"]
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}, name
        assert "memory" in container["resources"]["limits"], name


def test_every_pod_runs_unprivileged_on_a_read_only_root(docs):
    specs = pod_specs(docs)
    assert set(specs) == {"Deployment/okpay-rasa", "Deployment/okpay-actions", "Deployment/okpay-console",
                          "Job/okpay-migrate-0-1-0", "CronJob/okpay-retention"}
    for where, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] == 10001, where
        # Service links would set OKPAY_CONSOLE_PORT=tcp://… (the Service okpay-console), one of our settings.
        assert spec["enableServiceLinks"] is False, where
        assert spec["automountServiceAccountToken"] is False, where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            mounted = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert {"/tmp", "/app/var"} <= set(mounted), where
            volumes = {volume["name"]: volume for volume in spec["volumes"]}
            assert all("emptyDir" in volumes[mounted[path]] for path in ("/tmp", "/app/var")), where
            assert {"configMapRef": {"name": "okpay-config"}} in container["envFrom"], where
            assert {"secretRef": {"name": "okpay-secrets"}} in container["envFrom"], where


def test_roles_and_ports_are_the_images(docs):
    for name, (role, port) in CONTRACT.items():
        deployment = named(docs, "Deployment", name)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == "localhost/okpay-assistant:0.1.0"
        assert container["args"] == [role] and "command" not in container
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert (annotations["prometheus.io/scrape"], annotations["prometheus.io/port"],
                annotations["prometheus.io/path"]) == ("true", str(port), "/metrics")
    (migrate,) = of_kind(docs, "Job")
    assert migrate["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert migrate["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    (retention,) = of_kind(docs, "CronJob")
    job = retention["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["python", "-m", "bot.privacy.retention"]
    assert retention["spec"]["concurrencyPolicy"] == "Forbid"


def test_only_rasa_waits_for_its_model_before_the_other_probes_count(docs, values):
    for name in CONTRACT:
        (container,) = named(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert ("startupProbe" in container) == (name == "okpay-rasa"), name
    (rasa,) = named(docs, "Deployment", "okpay-rasa")["spec"]["template"]["spec"]["containers"]
    startup = rasa["startupProbe"]
    assert startup["httpGet"]["path"] == "/health"
    assert startup["periodSeconds"] * startup["failureThreshold"] >= values["rasa"]["startupSeconds"] >= 120


def test_the_autoscaler_owns_rasas_count_on_cpu(docs):
    (autoscaler,) = of_kind(docs, "HorizontalPodAutoscaler")
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                    "name": "okpay-rasa"}
    assert autoscaler["spec"]["minReplicas"] == 2 < autoscaler["spec"]["maxReplicas"]
    (metric,) = autoscaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    # `kubectl apply` of a Deployment with replicas would undo the autoscaler's count at every apply.
    assert "replicas" not in named(docs, "Deployment", "okpay-rasa")["spec"]
    assert named(docs, "Deployment", "okpay-actions")["spec"]["replicas"] == 2
    assert named(docs, "Deployment", "okpay-console")["spec"]["replicas"] == 1


def test_without_autoscaling_rasa_has_its_fixed_count(values):
    docs = documents(merge(values, {"rasa": {"autoscaling": {"enabled": False}}}))
    assert not of_kind(docs, "HorizontalPodAutoscaler")
    assert named(docs, "Deployment", "okpay-rasa")["spec"]["replicas"] == 2


def test_disruption_budgets_cover_the_replicated_pods(docs):
    budgets = {b["metadata"]["name"]: b for b in of_kind(docs, "PodDisruptionBudget")}
    assert set(budgets) == {"okpay-rasa", "okpay-actions"}
    for name, budget in budgets.items():
        pods = named(docs, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
        selector = budget["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pods.items()
        assert budget["spec"]["maxUnavailable"] == 1


def test_selectors_leave_the_version_out_and_match_their_pods(docs):
    for deployment in of_kind(docs, "Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert "app.kubernetes.io/version" not in selector  # a selector cannot change between versions
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_the_migration_job_is_named_by_the_image_version(values):
    job = named(documents(merge(values, {"image": {"tag": "2026.12.01_rc.1"}})), "Job",
                "okpay-migrate-2026-12-01-rc-1")
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "localhost/okpay-assistant:2026.12.01_rc.1"


def test_retention_can_be_left_out(values):
    assert not of_kind(documents(merge(values, {"retention": {"enabled": False}})), "CronJob")
