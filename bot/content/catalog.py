"""Loads the guides and topic labels from `bot/content/*.yml`.

The files are read once per process and validated on load, so a typo in a
pattern or a missing field fails at start-up instead of in a conversation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Pattern, Tuple

import yaml

CONTENT_DIR = Path(__file__).parent
#: Labels people read (topic buttons, intent names) live with the other words, in bot/texts.
TEXTS_DIR = Path(__file__).resolve().parent.parent / "texts"
TROUBLESHOOT = "troubleshoot"
PROCEDURE = "procedure"


@dataclass(frozen=True)
class Step:
    id: str
    #: A few words for agents: what the step checks ("检查网络").
    label: str = ""
    done_when: Tuple[Pattern[str], ...] = ()
    #: Ways this step can go wrong, named in replies.yml (cannot_find, not_received, error_shown, how).
    stuck: Tuple[str, ...] = ()
    #: The step's own patterns of being stuck at it.
    stuck_when: Tuple[Pattern[str], ...] = ()
    #: Patterns of a situation this step is about; a reply describing it goes straight here.
    symptoms: Tuple[Pattern[str], ...] = ()

    def is_done_by(self, text: str) -> bool:
        """True when `text` (normalised) says this step is already done."""
        return any(pattern.search(text) for pattern in self.done_when)

    def has_symptom_in(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self.symptoms)


@dataclass(frozen=True)
class Guide:
    name: str
    intent: str
    title: str
    kind: str
    steps: Tuple[Step, ...] = field(default_factory=tuple)
    #: Patterns of this guide's problem being solved ("登进去了" for a locked account).
    solved_when: Tuple[Pattern[str], ...] = ()

    @property
    def intro_response(self) -> str:
        return f"utter_guide_{self.name}_intro"

    def step_response(self, number: int) -> str:
        """The domain response of step `number` (1-based)."""
        return f"utter_guide_{self.name}_{number}"

    def help_response(self, number: int) -> str:
        """The help of step `number`: where things are, what to do when it does not work."""
        return f"utter_guide_{self.name}_{number}_help"

    @property
    def prompt_response(self) -> str:
        """Asked after every step: did it help (troubleshoot) / done (procedure)."""
        return "utter_ask_guide_helped" if self.kind == TROUBLESHOOT else "utter_ask_guide_next"

    @property
    def solved_response(self) -> str:
        return "utter_guide_solved" if self.kind == TROUBLESHOOT else "utter_guide_solved_procedure"

    def steps_done_in(self, text: str) -> FrozenSet[str]:
        return frozenset(step.id for step in self.steps if step.is_done_by(text))


@dataclass(frozen=True)
class Topics:
    labels: Mapping[str, str]
    default: Tuple[str, ...]


def _parse_guide(name: str, raw: dict, labels: Mapping[str, Any]) -> Guide:
    """A guide of guides.yml, named with `labels` (bot/texts/labels.yml: its title and its steps' labels)."""
    kind = raw.get("kind")
    step_labels = (labels.get("guide_steps") or {}).get(name) or {}
    if kind not in (TROUBLESHOOT, PROCEDURE):
        raise ValueError(f"guide {name!r}: kind must be {TROUBLESHOOT} or {PROCEDURE}")
    steps = tuple(
        Step(
            id=str(step["id"]),
            label=str(step_labels.get(str(step["id"])) or step["id"]),
            done_when=tuple(re.compile(p) for p in step.get("done_when") or ()),
            stuck=tuple(str(kind) for kind in step.get("stuck") or ()),
            stuck_when=tuple(re.compile(p) for p in step.get("stuck_when") or ()),
            symptoms=tuple(re.compile(p) for p in step.get("symptoms") or ()),
        )
        for step in raw.get("steps") or ()
    )
    if not steps:
        raise ValueError(f"guide {name!r} has no steps")
    if len({step.id for step in steps}) != len(steps):
        raise ValueError(f"guide {name!r} repeats a step id")
    solved_when = tuple(re.compile(p) for p in raw.get("solved_when") or ())
    title = (labels.get("guide_titles") or {}).get(name) or name
    return Guide(name=name, intent=raw["intent"], title=str(title), kind=kind, steps=steps,
                 solved_when=solved_when)


@lru_cache(maxsize=4)
def load_guides(path: Path | None = None) -> Dict[str, Guide]:
    """Guides by name."""
    raw = yaml.safe_load((path or CONTENT_DIR / "guides.yml").read_text(encoding="utf-8"))
    labels = load_labels()
    return {name: _parse_guide(name, body, labels) for name, body in raw["guides"].items()}


@lru_cache(maxsize=1)
def load_labels() -> Dict[str, Any]:
    """The names people read for guides, steps and ticket categories (bot/texts/labels.yml)."""
    return yaml.safe_load((TEXTS_DIR / "labels.yml").read_text(encoding="utf-8"))


def guide_for_intent(intent: str | None) -> Guide | None:
    return next((g for g in load_guides().values() if g.intent == intent), None)


@lru_cache(maxsize=4)
def load_topics(path: Path | None = None) -> Topics:
    raw = yaml.safe_load((path or TEXTS_DIR / "topics.yml").read_text(encoding="utf-8"))
    labels: Dict[str, str] = dict(raw["topics"])
    default: List[str] = list(raw["default_topics"])
    unknown = [topic for topic in default if topic not in labels]
    if unknown:
        raise ValueError(f"default topics without a label: {unknown}")
    return Topics(labels=labels, default=tuple(default))


@lru_cache(maxsize=4)
def load_intent_names(path: Path | None = None) -> Dict[str, str]:
    """Chinese names of intents and FAQ topics (`bot/texts/intent_names.yml`), for supervisors."""
    raw = yaml.safe_load((path or TEXTS_DIR / "intent_names.yml").read_text(encoding="utf-8"))
    return {str(name): str(title) for name, title in raw["intents"].items()}


def intent_title(name: str | None) -> str | None:
    """The Chinese name of `name`, or None when it has none (or there is no intent)."""
    return load_intent_names().get(name) if name else None
