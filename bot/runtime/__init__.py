"""Code that runs inside the Rasa server process (installed by `bot.cli.rasa_server`)."""
