"""Which trained model belongs to the current sources.

A model is named after a fingerprint of everything training reads (config,
domain, training data and the custom NLU components), so a model is stale
exactly when no file carries the current fingerprint. `python -m
bot.model_files` prints the expected path; scripts use it to decide whether to
train.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import List

from bot.settings import PROJECT_ROOT, get_settings

TRAINING_INPUTS = ("config.yml", "domain.yml", "bot/data", "bot/nlu")
MODEL_PREFIX = "okpay-"


def _input_files(root: Path) -> List[Path]:
    files: List[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            files.append(path)
    return sorted(files)


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    """A short hash of the names and contents of the training inputs."""
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def model_name(root: Path = PROJECT_ROOT) -> str:
    return f"{MODEL_PREFIX}{fingerprint(root)}"


def model_path(root: Path = PROJECT_ROOT) -> Path:
    return get_settings().resolve(get_settings().models_dir) / f"{model_name(root)}.tar.gz"


def stale_models(root: Path = PROJECT_ROOT) -> List[Path]:
    """Models of earlier sources, safe to delete once the current one exists."""
    current = model_path(root)
    return [p for p in current.parent.glob(f"{MODEL_PREFIX}*.tar.gz") if p != current]


def main(argv: List[str]) -> int:
    command = argv[1] if len(argv) > 1 else "path"
    if command == "path":
        print(model_path())
    elif command == "name":
        print(model_name())
    elif command == "prune":
        for path in stale_models():
            path.unlink()
            print(f"removed stale model {path.name}")
    else:
        print("usage: python -m bot.model_files [path|name|prune]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
