"""A secret kept in a file of the install (mode 600), made by the first process that needs it.

For development and one machine, where no setting names the secret: the
widget's token secret (`bot.cli.serve`) and the log lines' hash key
(`bot.logs.hashing`). Made atomically, so processes starting together read
the same one.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def kept_secret(path: Path) -> str:
    """The secret in `path`, made there first when missing (atomically: processes starting together agree)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(32))
    try:
        os.link(draft, path)  # fails when another process made it first: then its secret is the one
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="utf-8").strip()
