"""`rasa`, with the fixes of `bot.rasa_patches` and `bot.runtime`; same arguments as `rasa`."""
from __future__ import annotations

from bot.rasa_patches import apply
from bot.runtime import action_fallback, message_guard, readiness, tracker_store


def install_runtime() -> None:
    """Everything this project changes in the Rasa server process."""
    apply()
    action_fallback.install()
    message_guard.install()
    readiness.install()
    tracker_store.install()


def main() -> None:
    import sys

    from bot.runtime.api_auth import jwt_arguments
    from bot.settings import get_settings

    install_runtime()
    from rasa.__main__ import main as rasa_main

    # The API's secret comes from the environment, added here where `ps` cannot see it (bot.runtime.api_auth).
    sys.argv[1:] = jwt_arguments(sys.argv[1:], get_settings().rasa_token)
    rasa_main()


if __name__ == "__main__":
    main()
