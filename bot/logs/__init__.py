"""Logs: one JSON line per event in every process, with no message text, secret or raw user id in it.

Every process (Rasa, the action server, the console, the launcher, the CLI
jobs) writes its log records through one handler (`bot.logs.setup`): a
guard (`bot.logs.guard`) takes what must never be logged out of each record
(users' texts, secrets, tokens in URLs, raw conversation ids), and a
formatter (`bot.logs.formatting`) writes the record as one JSON object per
line (or one readable line) with the fields docs/logging.md lists. Where a
turn or a request starts, the code names its conversation
(`bot.logs.context.log_scope`); the lines logged meanwhile carry the
conversation's keyed hash (`bot.logs.hashing`), the same in every process.
"""
