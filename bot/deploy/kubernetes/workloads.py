"""The pods: Deployments of rasa, actions and console, the migration Job, the retention CronJob, and what
keeps them up (HorizontalPodAutoscaler, PodDisruptionBudgets).

Every pod runs the one image by its role (`python -m bot.deploy.container <role>`) as the image's
unprivileged user, on a read-only root file system with emptyDirs for what processes write (/tmp:
Rasa unpacks its model there, jieba keeps its cache there; /app/var: logs and run files), with no
capabilities and no service account token. `enableServiceLinks: false`: Kubernetes would otherwise
give every pod variables named after the Services (a Service `okpay-console` makes
OKPAY_CONSOLE_PORT=tcp://10.0.0.7:5080), which are our settings' names.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping

from bot.deploy.kubernetes.values import ACTION_PORT, CONSOLE_PORT, RASA_PORT

#: The image's user (its Containerfile).
IMAGE_UID = 10001
#: Probes (seconds). Readiness asks the dependencies, so a pod whose database is gone leaves the Service
#: soon; liveness asks only whether the process answers, and gives it a minute before a restart.
READINESS = {"periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3}
LIVENESS = {"periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 3}
STARTUP_PERIOD_S = 5
#: The roles that serve, their ports and the labels' component names.
SERVERS = {"rasa": RASA_PORT, "actions": ACTION_PORT, "console": CONSOLE_PORT}
RETENTION_COMMAND = ["python", "-m", "bot.privacy.retention"]


def labels(values: Mapping[str, Any], component: str, version: bool = False) -> Dict[str, str]:
    """The labels of `component`; the selector ones without the version (a selector never changes)."""
    found = {
        "app.kubernetes.io/name": "okpay-assistant",
        "app.kubernetes.io/instance": values["name"],
        "app.kubernetes.io/component": component,
    }
    if version:
        found["app.kubernetes.io/version"] = str(values["image"]["tag"])
        found["app.kubernetes.io/part-of"] = "okpay-assistant"
    return found


def metadata(values: Mapping[str, Any], name: str, component: str, **extra: Any) -> Dict[str, Any]:
    return {"name": name, "labels": labels(values, component, version=True), **extra}


def image(values: Mapping[str, Any]) -> str:
    spec = values["image"]
    registry = f"{spec['registry']}/" if spec.get("registry") else ""
    return f"{registry}{spec['repository']}:{spec['tag']}"


def _probe(path: str, extra: Mapping[str, int]) -> Dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, **extra}


def _container(values: Mapping[str, Any], component: str, resources: Mapping[str, Any],
               port: int | None = None, startup_s: int | None = None, command: List[str] | None = None,
               ) -> Dict[str, Any]:
    container: Dict[str, Any] = {
        "name": component,
        "image": image(values),
        "imagePullPolicy": values["image"].get("pullPolicy", "IfNotPresent"),
        "envFrom": [{"configMapRef": {"name": f"{values['name']}-config"}},
                    {"secretRef": {"name": f"{values['name']}-secrets"}}],
        # Read-only root: what libraries write under $HOME (Rasa's global config, matplotlib's cache) goes to /tmp.
        # Each pod's log lines name it (OKPAY_PROCESS_NAME, docs/logging.md).
        "env": [{"name": "HOME", "value": "/tmp"},
                {"name": "OKPAY_PROCESS_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "resources": dict(resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "var", "mountPath": "/app/var"}],
    }
    if command:
        container["command"] = command
    else:
        container["args"] = [component]
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        container["readinessProbe"] = _probe("/ready", READINESS)
        container["livenessProbe"] = _probe("/health", LIVENESS)
        if startup_s:
            # Liveness and readiness wait until the process answers once (Rasa loads its model first).
            container["startupProbe"] = _probe("/health", {
                "periodSeconds": STARTUP_PERIOD_S, "timeoutSeconds": 3,
                "failureThreshold": max(1, startup_s // STARTUP_PERIOD_S)})
    return container


def pod_spec(values: Mapping[str, Any], container: Dict[str, Any], restart: str = "Always") -> Dict[str, Any]:
    spec: Dict[str, Any] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "restartPolicy": restart,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": IMAGE_UID,
            "runAsGroup": IMAGE_UID,
            "fsGroup": IMAGE_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "512Mi"}},
                    {"name": "var", "emptyDir": {"sizeLimit": "256Mi"}}],
    }
    if values["image"].get("pullSecrets"):
        spec["imagePullSecrets"] = [{"name": name} for name in values["image"]["pullSecrets"]]
    return spec


def deployment(values: Mapping[str, Any], component: str, config_hash: str) -> Dict[str, Any]:
    """The Deployment of one serving role (`rasa`, `actions`, `console`)."""
    part = values[component]
    port = SERVERS[component]
    container = _container(values, component, part["resources"], port=port,
                           startup_s=part.get("startupSeconds"))
    annotations = {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(port),
        "prometheus.io/path": "/metrics",
        # A changed ConfigMap or Secret changes this, so `kubectl apply` rolls the pods onto it.
        "okpay.example/config-hash": config_hash,
    }
    spec: Dict[str, Any] = {
        "selector": {"matchLabels": labels(values, component)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
        "template": {
            "metadata": {"labels": labels(values, component, version=True), "annotations": annotations},
            "spec": {
                **pod_spec(values, container),
                # Spread the replicas over nodes where the cluster can.
                "topologySpreadConstraints": [{
                    "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": labels(values, component)}}],
            },
        },
    }
    if not autoscaled(values, component):
        spec = {"replicas": int(part["replicas"]), **spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": metadata(values, f"{values['name']}-{component}", component), "spec": spec}


def autoscaled(values: Mapping[str, Any], component: str) -> bool:
    return bool(values[component].get("autoscaling", {}).get("enabled"))


def autoscaler(values: Mapping[str, Any]) -> Dict[str, Any]:
    """Rasa's HorizontalPodAutoscaler, on CPU: a turn is CPU work (NLU, policies), memory stays flat."""
    scaling = values["rasa"]["autoscaling"]
    name = f"{values['name']}-rasa"
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(values, name, "rasa"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": int(scaling["minReplicas"]),
            "maxReplicas": int(scaling["maxReplicas"]),
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": int(scaling["targetCPUUtilization"])}}}],
            # A new pod serves after its model loaded (about a minute): add one at a time, and remove
            # slowly, so a short lull does not throw away pods that took a minute to start.
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 60,
                            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
                "scaleDown": {"stabilizationWindowSeconds": 600,
                              "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}]},
            },
        },
    }


def disruption_budget(values: Mapping[str, Any], component: str) -> Dict[str, Any]:
    """At most one pod of `component` away at a time during node drains and upgrades."""
    return {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": metadata(values, f"{values['name']}-{component}", component),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(values, component)}},
    }


def migration_job(values: Mapping[str, Any]) -> Dict[str, Any]:
    """Migrates the ticket store and prepares Rasa's events table, once per image version.

    Its name carries the image tag: a Job cannot be changed, and a new version has its own migrations.
    """
    tag = "".join(c if c.isalnum() else "-" for c in str(values["image"]["tag"]).lower()).strip("-")
    container = _container(values, "migrate", values["jobs"]["resources"])
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": metadata(values, f"{values['name']}-migrate-{tag}"[:63].rstrip("-"), "migrate"),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 7 * 24 * 3600,
            "template": {"metadata": {"labels": labels(values, "migrate", version=True)},
                         "spec": pod_spec(values, container, restart="Never")},
        },
    }


def retention_job(values: Mapping[str, Any]) -> Dict[str, Any]:
    """Removes conversations older than OKPAY_RETENTION_DAYS every day (`python -m bot.privacy.retention`)."""
    retention = values["retention"]
    container = _container(values, "retention", values["jobs"]["resources"], command=RETENTION_COMMAND)
    spec: Dict[str, Any] = {
        "schedule": retention["schedule"],
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 3600,
        "successfulJobsHistoryLimit": 1,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {"spec": {
            "backoffLimit": 2,
            "activeDeadlineSeconds": 3600,
            "template": {"metadata": {"labels": labels(values, "retention", version=True)},
                         "spec": pod_spec(values, container, restart="Never")},
        }},
    }
    if retention.get("timeZone"):
        spec["timeZone"] = retention["timeZone"]
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": metadata(values, f"{values['name']}-retention", "retention"), "spec": spec}
