"""Labelled messages read from Rasa NLU YAML, without importing Rasa.

A label is the full label: an ordinary intent (`withdraw`), or a retrieval
intent with its response key (`faq/fees`), so each FAQ topic counts as its own
class. Entity annotations (`[五百](amount)`) are reduced to their words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    text: str
    label: str

    @property
    def intent(self) -> str:
        """The intent Rasa classifies (`faq` for `faq/fees`)."""
        return base_intent(self.label)


def base_intent(label: str) -> str:
    return label.split("/", 1)[0]


def plain_text(line: str) -> str:
    """The words of a training line, without Rasa's entity annotation."""
    return _ANNOTATION.sub(r"\1", line).strip()


def _files(path: Path) -> List[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*.yml") if p.is_file())
    return [path]


def load_examples(paths: Path | Iterable[Path]) -> List[Example]:
    """Every labelled example of the YAML files at `paths` (files or folders), in file order."""
    if isinstance(paths, Path):
        paths = [paths]
    examples: List[Example] = []
    for root in paths:
        for path in _files(root):
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for item in document.get("nlu") or []:
                if "intent" not in item:
                    continue
                lines = item.get("examples") or ""
                if isinstance(lines, list):  # examples with metadata: [{text: …, metadata: …}, …]
                    texts = [str(entry.get("text", "")) for entry in lines if isinstance(entry, dict)]
                else:
                    texts = [line.strip()[2:] for line in str(lines).splitlines() if line.strip().startswith("- ")]
                examples.extend(Example(plain_text(text), item["intent"]) for text in texts)
    return examples


def to_rasa_yaml(examples: Iterable[Example]) -> str:
    """Rasa NLU YAML (version 3.1) grouping `examples` by label, in first-seen order."""
    grouped: dict[str, List[str]] = {}
    for example in examples:
        grouped.setdefault(example.label, []).append(example.text)
    lines = ['version: "3.1"', "nlu:"]
    for label, texts in grouped.items():
        lines.append(f"- intent: {label}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in texts)
    return "\n".join(lines) + "\n"
