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
    install_runtime()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
