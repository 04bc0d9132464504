"""Corrected review items as Rasa NLU training data, in a file of their own (`bot/data/nlu/review_corrections.yml`).

The file is Rasa's YAML (`version: "3.1"`, `nlu:` grouped by intent); each
intent block carries `metadata: {source: review, review_items: [ids]}`, so a
pull request shows where every example came from, and entities are written in
Rasa's annotation (`[五百](amount)`, or `[五百]{"entity": "amount", "value": "500"}`
when the value differs from the words). Being under `bot/data/`, training,
`python -m bot.cli.validate` and the model fingerprint pick it up; nothing is
retrained here.

Left out, and reported: a message that is in the development set
(`tests/data/nlu_dev.yml`; training on it would flatter every figure), one
close to a message of the test set (`tests/data/nlu_test.yml`; it would fail
the leakage check of `scripts/test`), one
already in the training data (as the same intent it adds nothing; as another
it is a conflict to settle by hand), and messages corrected to two different
intents. Phone numbers and e-mail addresses are masked (138****5678), as for
agents who do not handle the conversation: the file goes into the repository.
Square brackets of the user's own text become full-width (［］), which the
tokenizer folds back, so Rasa never reads them as an annotation.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Set, Tuple

from bot.database.schema import utcnow
from bot.evaluation.examples import load_examples, plain_text
from bot.evaluation.leakage import THRESHOLD as LEAK_THRESHOLD
from bot.evaluation.leakage import BigramIndex
from bot.nlu.normalize import normalize
from bot.privacy import mask_contacts
from bot.settings import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "bot/data/nlu/review_corrections.yml"
TRAINING_DIR = PROJECT_ROOT / "bot/data/nlu"
HOLDOUT = PROJECT_ROOT / "tests/data/nlu_dev.yml"
TEST_SET = PROJECT_ROOT / "tests/data/nlu_test.yml"
SOURCE = "review"
_SPACES = re.compile(r"\s+")

# Why a corrected message is not in the file.
HELD_OUT = "held_out"
CLOSE_TO_TEST = "close_to_test"
IN_TRAINING_DATA = "in_training_data"
CONFLICT = "conflicting_corrections"
EMPTY = "empty"


@dataclass(frozen=True)
class Example:
    item_id: int
    intent: str
    #: The line as written, with entity annotations.
    line: str


@dataclass(frozen=True)
class LeftOut:
    item_id: int
    text: str
    why: str
    #: The intent the training data already gives it (IN_TRAINING_DATA).
    existing_intent: str | None = None


@dataclass
class Export:
    """What an export wrote and left out."""

    examples: List[Example] = field(default_factory=list)
    left_out: List[LeftOut] = field(default_factory=list)
    yaml_text: str = ""

    @property
    def intents(self) -> List[str]:
        return sorted({example.intent for example in self.examples})

    def summary(self, out: Path | None = None) -> List[str]:
        """Lines a person reads: what was written where, and what was left out and why."""
        where = f" to {out}" if out else ""
        lines = [f"wrote {len(self.examples)} corrected examples of {len(self.intents)} intents{where}"]
        for intent in self.intents:
            lines.append(f"  {intent}: {sum(e.intent == intent for e in self.examples)}")
        reasons = {HELD_OUT: "in the development set", CLOSE_TO_TEST: "close to a test message",
                   IN_TRAINING_DATA: "already in the training data",
                   CONFLICT: "corrected to different intents", EMPTY: "empty"}
        for left in self.left_out:
            extra = f" (as {left.existing_intent})" if left.existing_intent else ""
            lines.append(f"left out item {left.item_id} {left.text!r}: {reasons[left.why]}{extra}")
        return lines


def _examples(path: Path) -> Iterable[Tuple[str, str]]:
    """(intent, plain text) of a Rasa NLU YAML file's examples."""
    return ((example.label, example.text) for example in load_examples(path))


def known_texts(training_dir: Path = TRAINING_DIR, holdout: Path = HOLDOUT,
                leave_out: Path | None = None) -> Tuple[Dict[str, str], Set[str]]:
    """Normalised texts of the training data (to their intent), without `leave_out`, and of the held-out file."""
    training: Dict[str, str] = {}
    skip = leave_out.resolve() if leave_out else None
    for path in sorted(training_dir.glob("*.yml")):
        if path.resolve() != skip:
            for intent, text in _examples(path):
                training.setdefault(normalize(text), intent)
    held_out = {normalize(text) for _, text in _examples(holdout)} if holdout.exists() else set()
    return training, held_out


def _safe(text: str) -> str:
    """User text as one example line: one line, contacts masked, brackets that Rasa would read made full-width."""
    text = _SPACES.sub(" ", mask_contacts(text))
    return text.replace("[", "［").replace("]", "］")


def annotated_line(text: str, entities: Sequence[Dict[str, Any]]) -> str:
    """`text` with its entities in Rasa's annotation, made safe for a training file (see `_safe`)."""
    pieces, last = [], 0
    for entity in sorted(entities or [], key=lambda e: e["start"]):
        start, end = entity["start"], entity["end"]
        pieces.append(_safe(text[last:start]))
        span, value = _safe(text[start:end]).strip(), entity.get("value")
        value = _safe(str(value)).strip() if value not in (None, "") else span
        if value == span:
            pieces.append(f"[{span}]({entity['entity']})")
        else:
            label = json.dumps({"entity": entity["entity"], "value": value}, ensure_ascii=False)
            pieces.append(f"[{span}]{label}")
        last = end
    pieces.append(_safe(text[last:]))
    return "".join(pieces).strip()


def bigrams_of_test_set(path: Path = TEST_SET) -> BigramIndex | None:
    """The test set's messages, to leave out corrections close to one (None without a test set)."""
    return BigramIndex(load_examples(path)) if path.exists() else None


def build_export(items: Iterable[Any], training: Dict[str, str], held_out: Set[str],
                 now: datetime | None = None, tests: BigramIndex | None = None) -> Export:
    """The export of corrected items (objects with id, text, corrected_intent, corrected_entities)."""
    export = Export()
    by_text: Dict[str, List[Tuple[Any, str]]] = {}
    for item in items:
        line = annotated_line(item.text, item.corrected_entities or [])
        if not plain_text(line).strip():
            export.left_out.append(LeftOut(item.id, item.text, EMPTY))
            continue
        by_text.setdefault(normalize(plain_text(line)), []).append((item, line))
    for key, entries in by_text.items():
        originals = {normalize(" ".join(item.text.split())) for item, _ in entries} | {key}
        intents = {item.corrected_intent for item, _ in entries}
        if originals & held_out:
            export.left_out.extend(LeftOut(item.id, item.text, HELD_OUT) for item, _ in entries)
        elif tests is not None and any(tests.closest(item.text)[1] >= LEAK_THRESHOLD for item, _ in entries):
            export.left_out.extend(LeftOut(item.id, item.text, CLOSE_TO_TEST) for item, _ in entries)
        elif len(intents) > 1:
            export.left_out.extend(LeftOut(item.id, item.text, CONFLICT) for item, _ in entries)
        elif any(text in training for text in originals):
            existing = next(training[text] for text in originals if text in training)
            export.left_out.extend(LeftOut(item.id, item.text, IN_TRAINING_DATA, existing) for item, _ in entries)
        else:
            item, line = entries[-1]  # the latest correction of the same words
            export.examples.append(Example(item.id, item.corrected_intent, line))
    export.yaml_text = render(export.examples, now or utcnow())
    return export


def render(examples: Sequence[Example], now: datetime) -> str:
    """The YAML file: a header comment, then one block per intent with its examples."""
    header = [
        "# Corrections from the console's review queue (source: review), written by",
        "# `python -m bot.insights.review export`. Review them in the pull request; to change one,",
        "# correct or dismiss it in the console and export again rather than editing this file.",
        f"# {len(examples)} examples, exported {now:%Y-%m-%d %H:%M} UTC.",
        'version: "3.1"',
    ]
    if not examples:
        return "\n".join([*header, "nlu: []", ""])
    lines = [*header, "nlu:"]
    for intent in sorted({example.intent for example in examples}):
        chosen = [example for example in examples if example.intent == intent]
        ids = ", ".join(str(example.item_id) for example in chosen)
        lines += [f"- intent: {intent}", "  metadata:", f"    source: {SOURCE}", f"    review_items: [{ids}]",
                  "  examples: |"]
        lines += [f"    - {example.line}" for example in chosen]
    return "\n".join(lines) + "\n"


def export_corrections(items: Iterable[Any], out: Path = DEFAULT_OUT, training_dir: Path = TRAINING_DIR,
                       holdout: Path = HOLDOUT, now: datetime | None = None) -> Export:
    """Writes the corrected items to `out` (replacing it) and returns what was written and left out."""
    training, held_out = known_texts(training_dir, holdout, leave_out=out)
    export = build_export(items, training, held_out, now, bigrams_of_test_set())
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(export.yaml_text, encoding="utf-8")
    temporary.replace(out)
    return export
