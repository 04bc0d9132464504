"""`rasa` with the speed fixes of `bot.rasa_patches`; same arguments as `rasa`."""
from __future__ import annotations

from bot.rasa_patches import apply


def main() -> None:
    apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
