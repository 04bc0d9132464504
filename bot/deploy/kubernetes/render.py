"""The manifests of one install: its values in, Kubernetes documents out (in the order to apply them).

Two parts, because the migrations must finish before new pods start and Kubernetes has no ordering of
its own (Helm's hooks are Helm's): `setup` (ConfigMap, Secret, the migration Job) and `app` (Services,
Deployments, autoscaler, disruption budgets, Ingresses, the retention CronJob). docs/kubernetes.md
gives the commands.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Mapping

import yaml

from bot.deploy.kubernetes import network, workloads
from bot.deploy.kubernetes.values import PodEnvironment, check_names, pod_environment, settings_of
from bot.deploy.kubernetes.workloads import metadata

PARTS = ("all", "setup", "app")
HEADER = ("# Rendered by `python -m bot.deploy.kubernetes render` from values files; edit the values, not this.\n"
          "# No namespace: apply with `kubectl apply -n <namespace>` (docs/kubernetes.md).\n")


def config_map(values: Mapping[str, Any], environment: PodEnvironment) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": metadata(values, f"{values['name']}-config", "config"), "data": environment.config}


def secret(values: Mapping[str, Any], environment: PodEnvironment) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": metadata(values, f"{values['name']}-secrets", "config"), "stringData": environment.secret}


def config_hash(environment: PodEnvironment, with_secret: bool) -> str:
    """Changes whenever a variable the pods read changes (the Secret's only when it is rendered here)."""
    data = {"config": environment.config, "secret": environment.secret if with_secret else {}}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def documents(values: Mapping[str, Any], part: str = "all", with_secret: bool = True) -> List[Dict[str, Any]]:
    """Every document of `part`, in apply order. Raises ValuesError when the values cannot work."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}")
    check_names(values)
    environment = pod_environment(values)
    found: List[Dict[str, Any]] = []
    if part in ("all", "setup"):
        found.append(config_map(values, environment))
        if with_secret:
            found.append(secret(values, environment))
        found.append(workloads.migration_job(values))
    if part in ("all", "app"):
        digest = config_hash(environment, with_secret)
        found += network.services(values)
        found += [workloads.deployment(values, component, digest) for component in ("actions", "rasa", "console")]
        if workloads.autoscaled(values, "rasa"):
            found.append(workloads.autoscaler(values))
        found += [workloads.disruption_budget(values, component) for component in ("rasa", "actions")]
        lock_lifetime_s = settings_of({**environment.all, "OKPAY_ENVIRONMENT": "development"}).lock_lifetime_s
        found += network.public_ingresses(values, lock_lifetime_s)
        found.append(network.console_ingress(values))
        if values.get("retention", {}).get("enabled"):
            found.append(workloads.retention_job(values))
    return found


class _PlainDumper(yaml.SafeDumper):
    """Writes a repeated object out again instead of as an anchor and alias (`&id001`, `*id001`)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(docs: List[Dict[str, Any]]) -> str:
    return HEADER + "".join("---\n" + yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True,
                                                default_flow_style=False, width=120) for doc in docs)
