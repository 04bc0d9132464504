"""Training a Rasa NLU model on some examples and reading its full labels back.

Used by cross-validation, the NLU benchmark and the review loop's retrain
report. Everything is written inside a work folder: the model, the training
data and Rasa's training cache; nothing touches `bot/models` or `./.rasa`.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence

from bot.evaluation.examples import Example, to_rasa_yaml
from bot.settings import PROJECT_ROOT

RETRIEVAL_INTENT = "faq"


@contextlib.contextmanager
def training_place(cache: Path) -> Iterator[None]:
    """Rasa's training cache in `cache`; relative paths of the config (jieba's dictionary) from the project."""
    previous_cache, previous_cwd = os.environ.get("RASA_CACHE_DIRECTORY"), os.getcwd()
    os.environ["RASA_CACHE_DIRECTORY"] = str(cache)
    os.chdir(PROJECT_ROOT)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        if previous_cache is None:
            os.environ.pop("RASA_CACHE_DIRECTORY", None)
        else:
            os.environ["RASA_CACHE_DIRECTORY"] = previous_cache


def full_label(parsed: Dict[str, Any]) -> str:
    """`faq/<topic>` for a retrieval intent (from the response selector), else the intent's name."""
    label = (parsed.get("intent") or {}).get("name") or "None"
    if label == RETRIEVAL_INTENT:
        selected = ((parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get("response") or {}
        label = selected.get("intent_response_key") or label
    return label


@dataclass
class TrainedNLU:
    """A loaded model and how long it took to train."""

    agent: Any
    training_s: float

    def parse(self, texts: Sequence[str]) -> List[Dict[str, Any]]:
        async def parse_all() -> List[Dict[str, Any]]:
            return [await self.agent.parse_message(text) for text in texts]

        return asyncio.run(parse_all())

    def labels(self, texts: Sequence[str]) -> List[str]:
        return [full_label(parsed) for parsed in self.parse(texts)]


def load_model(path: Path | str) -> TrainedNLU:
    from rasa.core.agent import Agent

    return TrainedNLU(Agent.load(str(path)), 0.0)


def train(config: Path, data: Sequence[Path] | Sequence[Example], workdir: Path,
          domain: Path = PROJECT_ROOT / "domain.yml") -> TrainedNLU:
    """Trains an NLU model in `workdir` on NLU files or on examples, and loads it."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    folder = workdir / "data"
    folder.mkdir(parents=True)
    if data and isinstance(data[0], Example):
        (folder / "examples.yml").write_text(to_rasa_yaml(data), encoding="utf-8")  # type: ignore[arg-type]
    else:
        for index, path in enumerate(data):
            shutil.copy(path, folder / f"{index:02d}_{Path(path).name}")  # type: ignore[arg-type]
    with training_place(workdir / "cache"):
        started = time.perf_counter()
        model = train_nlu(str(config), str(folder), output=str(workdir / "models"), domain=str(domain))
        seconds = time.perf_counter() - started
    if model is None:
        raise RuntimeError("training failed (see Rasa's messages above)")
    return TrainedNLU(Agent.load(model), seconds)


def quiet_rasa() -> None:
    """Rasa's warnings only: no debug line per parsed message."""
    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
