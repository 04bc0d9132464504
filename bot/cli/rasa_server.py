"""`rasa`, with the API's secret taken from the environment and our logging; same arguments as `rasa`.

Everything else this project changes in Rasa is loaded by Rasa itself from the
project's files (channels, stores, policy: docs/architecture.md), so `rasa run`
behaves the same; this wrapper only keeps the secret off the command line
and adds `--logging-config-file logging.yml` to `run` (`bot.logs.rasa_start`),
which Rasa's own `rasa run` needs to be given to log the same way.
"""
from __future__ import annotations

from typing import List

from bot.settings import PROJECT_ROOT


def main() -> None:
    import sys

    arguments = logging_arguments(sys.argv[1:])
    if arguments != sys.argv[1:]:
        from bot.logs.setup import configure_logging

        configure_logging("rasa")  # before Rasa's imports, whose warnings would be plain lines; logging.yml next
    from bot import rasa_patches
    from bot.runtime.api_auth import jwt_arguments
    from bot.settings import get_settings

    rasa_patches.apply()  # Rasa's loading of the policy applies them too; here before any command runs
    from rasa.__main__ import main as rasa_main

    # The API's secret comes from the environment, added here where `ps` cannot see it (bot.runtime.api_auth).
    sys.argv[1:] = jwt_arguments(arguments, get_settings().rasa_token)
    rasa_main()


def logging_arguments(arguments: List[str]) -> List[str]:
    """`arguments` of `rasa run` (the server) with `--logging-config-file logging.yml` (docs/logging.md) unless given.

    Rasa's other commands (train, shell, test) are a person's tools at a terminal: they keep Rasa's logging.
    """
    given = any(argument.split("=")[0] == "--logging-config-file" for argument in arguments)
    if given or arguments[:1] != ["run"] or arguments[1:2] == ["actions"]:
        return arguments
    return [*arguments, "--logging-config-file", str(PROJECT_ROOT / "logging.yml")]


if __name__ == "__main__":
    main()
