"""`rasa`, with the API's secret taken from the environment; same arguments as `rasa`.

Everything else this project changes in Rasa is loaded by Rasa itself from the
project's files (channels, stores, policy: docs/architecture.md), so `rasa run`
behaves the same; this wrapper only keeps the secret off the command line.
"""
from __future__ import annotations


def main() -> None:
    import sys

    from bot import rasa_patches
    from bot.runtime.api_auth import jwt_arguments
    from bot.settings import get_settings

    rasa_patches.apply()  # Rasa's loading of the policy applies them too; here before any command runs
    from rasa.__main__ import main as rasa_main

    # The API's secret comes from the environment, added here where `ps` cannot see it (bot.runtime.api_auth).
    sys.argv[1:] = jwt_arguments(sys.argv[1:], get_settings().rasa_token)
    rasa_main()


if __name__ == "__main__":
    main()
