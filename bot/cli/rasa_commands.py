"""`scripts/rasa <command> …`: Rasa's own commands with this project's paths and settings.

Rasa's commands look for `data/`, `models/`, `actions/` and an endpoints file
without variables; this project keeps its data in `bot/data`, its models in
`bot/models`, its actions in `bot.actions`, and `endpoints.yml` reads its
values from the environment (`bot/settings.py`). This wrapper adds the
paths, exports the settings as `serve` does, and for the commands that talk
to custom actions starts the action server when none answers:

    scripts/rasa train                  rasa train --data bot/data --domain domain.yml --config config.yml
                                          --out bot/models --fixed-model-name <the name scripts/run looks for>
    scripts/rasa shell                  rasa shell --model <current model> --endpoints endpoints.yml
    scripts/rasa interactive            rasa interactive, with the same model, data, domain, config, endpoints
    scripts/rasa run                    rasa run with the model, endpoints, credentials.yml and the API
    scripts/rasa run actions            the action server (python -m bot.cli.action_server)
    scripts/rasa test core|nlu …        rasa test with the model (stories and NLU files as you name them)
    scripts/rasa data validate          rasa data validate with the data, domain and config

Anything after the command goes to Rasa and wins over these defaults
(`scripts/rasa shell --debug`, `scripts/rasa train --force`). Every command
runs through `bot.cli.rasa_server`, so it gets what Rasa itself loads from
the project (channels, stores, policy, `bot.rasa_patches`) and the API
secret stays off the command line.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from typing import Dict, Iterator, List, Sequence

from bot.settings import PROJECT_ROOT, Settings, get_settings

#: Commands whose conversations run custom actions: the action server must answer.
NEEDS_ACTIONS = ("shell", "interactive", "run")


def _has(arguments: Sequence[str], *options: str) -> bool:
    return any(argument == option or argument.startswith(option + "=") for argument in arguments
               for option in options)


def _defaults(pairs: Sequence[tuple], given: Sequence[str]) -> List[str]:
    """`--option value` pairs the caller did not give."""
    added: List[str] = []
    for option, value in pairs:
        names = option if isinstance(option, tuple) else (option,)
        if not _has(given, *names):
            added += [names[0], str(value)] if value is not None else [names[0]]
    return added


def rasa_arguments(command: Sequence[str], settings: Settings) -> List[str]:
    """The arguments of `rasa …` for `command` (the wrapper's arguments), with the project's paths added."""
    from bot.deploy.endpoints import endpoints_file
    from bot.model_files import model_name, model_path

    words = list(command)
    if not words:
        raise SystemExit(__doc__)
    name, rest = words[0], words[1:]
    root = PROJECT_ROOT
    data, domain, config = root / "bot" / "data", root / "domain.yml", root / "config.yml"
    endpoints, credentials = endpoints_file(settings), root / "credentials.yml"
    if name == "train":
        return ["train", *rest, *_defaults([(("--data", "-d"), data), ("--domain", domain), (("--config", "-c"), config),
                                            ("--out", root / "bot" / "models"),
                                            ("--fixed-model-name", model_name())], rest)]
    if name == "shell":
        return ["shell", *rest, *_defaults([(("--model", "-m"), model_path()), ("--endpoints", endpoints)], rest)]
    if name == "interactive":
        return ["interactive", *rest, *_defaults([(("--model", "-m"), model_path()), (("--data", "-d"), data),
                                                  ("--domain", domain), (("--config", "-c"), config),
                                                  ("--endpoints", endpoints)], rest)]
    if name == "run" and rest[:1] == ["actions"]:
        return ["run", "actions", *rest[1:]]
    if name == "run":
        return ["run", *rest, *_defaults([(("--model", "-m"), model_path()), ("--endpoints", endpoints),
                                          ("--credentials", credentials), ("--enable-api", None)], rest)]
    if name == "test" and rest[:1] in (["core"], ["nlu"]):
        return ["test", rest[0], *rest[1:], *_defaults([(("--model", "-m"), model_path())], rest[1:])]
    if name == "data" and rest[:1] == ["validate"]:
        return ["data", "validate", *rest[1:], *_defaults([(("--data", "-d"), data), ("--domain", domain),
                                                          (("--config", "-c"), config)], rest[1:])]
    return words  # any other command as it is (`scripts/rasa --version`)


@contextlib.contextmanager
def action_server(settings: Settings, env: Dict[str, str], timeout_s: float = 60.0) -> Iterator[None]:
    """The action server, started for the command when none answers on the settings' port."""
    from bot.cli.serve import answers
    from bot.deploy.processes import action_server_command

    health = f"http://{settings.action_host}:{settings.action_port}/health"
    if answers(health):
        yield
        return
    log_dir = settings.resolve(settings.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "action-server.log", "ab") as log:
        process = subprocess.Popen(action_server_command(settings.action_port), cwd=PROJECT_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        started = time.monotonic()
        while not answers(health):
            if process.poll() is not None or time.monotonic() - started > timeout_s:
                raise SystemExit(f"the action server did not start; see {log_dir / 'action-server.log'}")
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)


def main(argv: List[str] | None = None) -> int:
    from bot.cli.serve import child_environment, prepare_stores

    words = list(sys.argv[1:] if argv is None else argv)
    settings = get_settings()
    settings.resolve(settings.tracker_db).parent.mkdir(parents=True, exist_ok=True)
    env = child_environment(settings, settings.rasa_token or secrets.token_urlsafe(24),
                            settings.action_secret or secrets.token_urlsafe(24))
    if words[:2] == ["run", "actions"]:
        os.environ.update(env)
        from bot.cli import action_server as server

        server.main(words[2:])
        return 0
    command = [sys.executable, "-m", "bot.cli.rasa_server", *rasa_arguments(words, settings)]
    if words[:1] in (["run"], ["shell"], ["interactive"]):
        prepare_stores(settings)
    with action_server(settings, env) if words[:1] and words[0] in NEEDS_ACTIONS else contextlib.nullcontext():
        return subprocess.call(command, cwd=PROJECT_ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
