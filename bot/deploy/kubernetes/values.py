"""The values of a Kubernetes install, and the environment they give every pod.

Values are YAML files (deploy/kubernetes/values.example.yml), merged key by
key, later files winning, so the committed example carries the layout and a
private file outside the repository carries the secrets. `settings:` and
`secrets:` name fields of bot/settings.py; they become the ConfigMap's and
the Secret's OKPAY_* variables. What the layout itself decides (production,
replicated, the Services' addresses, the contract's ports) the renderer sets,
and a values file may not: a wrong host there would break the pods silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping

import yaml

from bot.deploy.endpoints import deployment_problems, store_environment
from bot.settings import CONNECTION_SETTINGS, Settings
from bot.settings import SECRET_SETTINGS as SECRET_TOKENS

#: Ports of the image's roles (`python -m bot.deploy.container <role>`, listening on 0.0.0.0).
RASA_PORT, ACTION_PORT, CONSOLE_PORT = 5005, 5055, 5080
#: Settings whose values are secrets: only ever in the Secret.
SECRET_SETTINGS = SECRET_TOKENS | CONNECTION_SETTINGS
#: Settings the layout decides (see `layout_settings`).
LAYOUT_SETTINGS = frozenset({
    "environment", "deployment", "rasa_host", "rasa_port", "action_host", "action_port", "console_port",
    "rasa_replicas", "action_replicas", "proxy_host", "proxy_port", "nginx_bin",
})


#: Of the variables derived from the two URLs, those that hold no part of them (the rest may hold a password).
_PLAIN_STORE_VARIABLES = frozenset({"OKPAY_LOCK_KEY_PREFIX", "TICKET_LOCK_LIFETIME"})


class ValuesError(ValueError):
    """The values cannot make a working install; the message says what to change."""


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Dict[str, Any]:
    """`override` over `base`, key by key inside mappings (lists and scalars are replaced whole)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_values(paths: Iterable[Path]) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    for path in paths:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, Mapping):
            raise ValuesError(f"{path}: a values file is a mapping")
        values = merge(values, loaded)
    return values


#: `name` prefixes object names (DNS labels, with room for "-migrate-<tag>" cut at 63 characters).
_NAME = re.compile(r"[a-z]([a-z0-9-]{0,28}[a-z0-9])?")
#: An image tag that is also a label value (app.kubernetes.io/version: at most 63 characters).
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}")


def check_names(values: Mapping[str, Any]) -> None:
    """The install's name and image tag make valid object names and labels (kubectl would refuse them later)."""
    if not _NAME.fullmatch(str(values["name"])):
        raise ValuesError(f"name {values['name']!r}: lower-case letters, digits and '-', 1-30 characters")
    if not _TAG.fullmatch(str(values["image"]["tag"])):
        raise ValuesError(f"image.tag {values['image']['tag']!r}: letters, digits, '_', '.', '-', at most 63")


def service_name(values: Mapping[str, Any], component: str) -> str:
    return f"{values['name']}-{component}"


def layout_settings(values: Mapping[str, Any]) -> Dict[str, str]:
    """The settings every install has: production, replicated, one process per pod, Services as addresses.

    OKPAY_RASA_HOST names the rasa Service: the console reaches Rasa's API there. OKPAY_ACTION_HOST the
    actions Service, for Rasa's action endpoint. Each role listens on 0.0.0.0 at its port whatever these say.
    """
    return {
        "environment": "production",
        "deployment": "replicated",
        "rasa_host": service_name(values, "rasa"),
        "rasa_port": str(RASA_PORT),
        "action_host": service_name(values, "actions"),
        "action_port": str(ACTION_PORT),
        "console_port": str(CONSOLE_PORT),
        # Each pod runs one process; the counts are the Deployments'.
        "rasa_replicas": "1",
        "action_replicas": "1",
    }


def _public_settings(values: Mapping[str, Any]) -> Dict[str, str]:
    """What browsers and Telegram are told: the public host's HTTPS URLs."""
    host = values["public"]["host"]
    return {"widget_socket_url": f"https://{host}",
            "telegram_webhook_url": f"https://{host}/webhooks/telegram/webhook"}


def _strings(mapping: Mapping[str, Any] | None) -> Dict[str, str]:
    out = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, (Mapping, list)):
            raise ValuesError(f"setting {key}: one value, not a list or mapping")
        out[str(key)] = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
    return out


def _check_names(settings: Dict[str, str], secrets: Dict[str, str]) -> None:
    fields = set(Settings.__fields__)
    problems: List[str] = []
    for section, names in (("settings", settings), ("secrets", secrets)):
        for name in names:
            if name not in fields:
                problems.append(f"{section}.{name} is not a setting of bot/settings.py")
            elif name in LAYOUT_SETTINGS:
                problems.append(f"{section}.{name} is set by the renderer (the layout decides it)")
    problems += [f"settings.{name} is a secret: put it under secrets" for name in settings if name in SECRET_SETTINGS]
    problems += [f"secrets.{name} is not a secret: put it under settings" for name in secrets
                 if name in fields and name not in SECRET_SETTINGS]
    if problems:
        raise ValuesError("; ".join(problems))


@dataclass(frozen=True)
class PodEnvironment:
    """The variables of every pod: `config` goes into the ConfigMap, `secret` into the Secret."""

    config: Dict[str, str]
    secret: Dict[str, str]

    @property
    def all(self) -> Dict[str, str]:
        return {**self.config, **self.secret}


def settings_of(environment: Mapping[str, str]) -> Settings:
    """The Settings a pod with `environment` reads (its OKPAY_* variables); raises when they are refused."""
    prefix = "OKPAY_"
    fields = set(Settings.__fields__)
    return Settings(**{name[len(prefix):].lower(): value for name, value in environment.items()
                       if name.startswith(prefix) and name[len(prefix):].lower() in fields})


def pod_environment(values: Mapping[str, Any]) -> PodEnvironment:
    """The ConfigMap's and the Secret's variables for `values`.

    Besides the settings, the variables endpoints.production.yml reads, which
    `bot.cli.serve` derives on one machine: the action endpoint, the event
    stream, and the tracker store's and lock store's parts of the two URLs
    (with their passwords, so in the Secret).
    """
    settings = _strings(values.get("settings"))
    secrets = _strings(values.get("secrets"))
    _check_names(settings, secrets)
    chosen = {**_public_settings(values), **settings, **layout_settings(values)}
    config = {f"OKPAY_{name.upper()}": value for name, value in chosen.items()}
    secret = {f"OKPAY_{name.upper()}": value for name, value in secrets.items()}
    derived = settings_of({**config, **secret, "OKPAY_ENVIRONMENT": "development"})
    problems = deployment_problems(derived)
    if not derived.database_url.startswith("postgresql"):
        # Each pod would have its own SQLite file of tickets (deployment_problems asks only of the tracker's).
        problems.append("OKPAY_DATABASE_URL must be a PostgreSQL URL (postgresql://user@host:5432/db)")
    if problems:
        raise ValuesError("the replicated deployment needs: " + "; ".join(problems))
    config.update(_quiet_environment())
    config["OKPAY_ACTION_ENDPOINT_URL"] = derived.action_endpoint_url
    # credentials.yml reads it, and Rasa refuses to start on a ${VAR} that is not set.
    config["OKPAY_CALLBACK_URL"] = derived.callback_url
    config["TF_INTER_OP_PARALLELISM_THREADS"] = config["TF_INTRA_OP_PARALLELISM_THREADS"] = str(derived.tf_threads)
    secret["OKPAY_EVENT_STREAM_URL"] = derived.event_stream_url
    for name, value in store_environment(derived).items():
        (config if name in _PLAIN_STORE_VARIABLES else secret)[name] = value
    return PodEnvironment(config=dict(sorted(config.items())), secret=dict(sorted(secret.items())))


def _quiet_environment() -> Dict[str, str]:
    """What every process of the stack runs with (bot.cli.serve): telemetry off, no start-up noise."""
    from bot.cli.serve import QUIET_ENV  # here: it imports Rasa's tracker store, a second and a half
    return dict(QUIET_ENV)


def production_problems(environment: PodEnvironment) -> List[str]:
    """What production refuses in these variables (placeholder secrets …), one line each; empty: none."""
    try:
        settings_of(environment.all)
    except ValueError as error:
        errors = getattr(error, "errors", None)
        return [problem["msg"] for problem in errors()] if callable(errors) else [str(error)]
    return []
