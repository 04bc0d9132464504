"""How well replies to a guide's step are understood: the model's parse, then `interpret`.

Each reply of tests/data/step_replies.tsv is parsed by the trained model and
read by `bot.guides.replies.interpret` at its guide's step, as the guide
policy and `action_guide_advance` do. A reply counts as understood when the
assistant's answer fits its meaning:

- solved → SOLVED (or DONE in a procedure);
- moved_on → the guide moves on (NOT_SOLVED, DONE, NEXT, ALREADY_DONE, JUMP) or asks (CONFIRM);
- stuck, question → the step's help (STUCK, QUESTION), or for a question the
  rules' answer to what the classifier found (not a reply);
- handoff → HANDOFF, or not a reply and the classifier says `human_handoff`;
- new_topic:<label> → not a reply, and the classifier's full label is <label>.

The worst mistake is a false "solved": a user who is still stuck is told the
problem is fixed. `false_solved` lists those; scripts/test fails on any.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

from bot.content.catalog import PROCEDURE, load_guides
from bot.evaluation import rasa_nlu
from bot.guides import replies
from bot.guides.progress import Position
from bot.guides.replies import Reply, classifier_guess, interpret

MOVES_ON = {replies.NOT_SOLVED, replies.DONE, replies.NEXT, replies.ALREADY_DONE, replies.JUMP, replies.CONFIRM}
HELP = {replies.STUCK, replies.QUESTION}


@dataclass(frozen=True)
class StepReply:
    guide: str
    step: int
    meaning: str
    text: str


@dataclass
class StepReplyReport:
    total: Counter = field(default_factory=Counter)
    understood: Counter = field(default_factory=Counter)
    false_solved: List[StepReply] = field(default_factory=list)
    misses: List[tuple[StepReply, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(self.understood.values()) / max(1, sum(self.total.values()))

    def lines(self) -> List[str]:
        lines = [f"replies to a step understood: {sum(self.understood.values())}/{sum(self.total.values())} "
                 f"({self.accuracy:.1%}); false \"solved\": {len(self.false_solved)}"]
        for meaning in sorted(self.total):
            lines.append(f"  {meaning:<12}{self.understood[meaning]:>4}/{self.total[meaning]:<4}")
        return lines


def load_step_replies(path: Path) -> List[StepReply]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        guide, step, meaning, text = line.split("\t")
        rows.append(StepReply(guide, int(step), meaning, text))
    return rows


def full_label(parse_data: Dict[str, Any]) -> str | None:
    """The classifier's best full label, looking past `nlu_fallback` as the guide policy does."""
    intent, _ = classifier_guess(parse_data)
    return rasa_nlu.full_label({**parse_data, "intent": {"name": intent}}) if intent else None


def understood(row: StepReply, reply: Reply | None, label: str | None) -> bool:
    kind = reply.kind if reply else None
    procedure = load_guides()[row.guide].kind == PROCEDURE
    if row.meaning == "solved":
        return kind == replies.SOLVED or (procedure and kind == replies.DONE)
    if row.meaning == "moved_on":
        return kind in MOVES_ON
    if row.meaning == "stuck":
        return kind in HELP
    if row.meaning == "question":
        return kind in HELP or kind is None
    if row.meaning == "handoff":
        return kind == replies.HANDOFF or (kind is None and label == "human_handoff")
    if row.meaning.startswith("new_topic:"):
        return kind is None and label == row.meaning.split(":", 1)[1]
    raise ValueError(f"unknown meaning {row.meaning!r}")


def evaluate_step_replies(parse: Callable[[Sequence[str]], List[Dict[str, Any]]],
                          rows: Sequence[StepReply]) -> StepReplyReport:
    report = StepReplyReport()
    guides = load_guides()
    for row, parse_data in zip(rows, parse([row.text for row in rows]), strict=True):
        position = Position(guides[row.guide], row.step)
        intent, confidence = classifier_guess(parse_data)
        reply = interpret(position, row.text, intent, confidence)
        meaning = row.meaning.split(":", 1)[0]
        report.total[meaning] += 1
        if understood(row, reply, full_label(parse_data)):
            report.understood[meaning] += 1
        else:
            report.misses.append((row, reply.kind if reply else f"not a reply ({full_label(parse_data)})"))
        if reply is not None and reply.kind == replies.SOLVED and row.meaning != "solved":
            report.false_solved.append(row)
    return report
