"""What a user's reply to a guide's step means.

A guide shows one step and asks whether it helped. People answer in their own
words: "好了能付了" (solved), "流量满格" (the check is fine), "验证码没来"
(stuck at this step), "要等多久？" (a question about it), "手续费多少" (a new
topic). `interpret` reads the reply against the step it answers, with the
classifier's guess as one input among others, and says which of these it is.
It is pure: the guide policy (bot/dialogue) uses it to decide whether a message
is a reply to the step, and `action_guide_advance` to decide the answer.

Kinds are tried in this order, first match wins:
 1. a button payload (/affirm, /deny, /continue_guide) means what it says;
    HANDOFF: a person is asked for; another matter ("另外…") or a confident
    urgent intent (a stolen account, an unknown charge) is not a reply (None);
 2. STUCK: the step's own ways of going wrong (guides.yml `stuck`, `stuck_when`);
 3. NOT_SOLVED: "还是不行", "没用" (before STUCK in a troubleshooting guide:
    "still failing" after a fix means the fix did not help);
 4. SOLVED: an explicit "solved", neither negated nor asked, in general words ("解决了") or in
    the guide's own (`solved_when`: "登进去了" unlocks an account, "到账了"
    ends a missing withdrawal);
    a bare "好了" / "可以了" is SOLVED after "did it help?" and DONE in a procedure;
 5. JUMP: a situation another step is about ("钱扣了" → check the records);
 6. unless the reply is a question: DONE, the user did what the step asked
    ("填好了", "找到了"); ALREADY_DONE, what this or a later step checks is
    fine / done already;
 7. a confident classifier: the current guide's intent again with a failure
    in the words → NOT_SOLVED; another topic → None (the rules answer it);
 8. QUESTION: a question about the step (answered by the step's help);
 9. the classifier's weaker guesses: affirm → DONE (procedure) or CONFIRM
    (troubleshoot: "好的" is not "solved"), deny → NOT_SOLVED, already_tried →
    ALREADY_DONE, continue_guide → NEXT;
10. a weaker guess of another topic → None; otherwise UNCLEAR: the step's
    question is asked again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Pattern, Tuple

import yaml

from bot.content.catalog import CONTENT_DIR, PROCEDURE, Guide, Step
from bot.guides.progress import Position
from bot.nlu.normalize import normalize

SOLVED = "solved"
NOT_SOLVED = "not_solved"
DONE = "done"  # a procedure's step is done: show the next one
NEXT = "next"  # "继续", "下一步"
ALREADY_DONE = "already_done"
STUCK = "stuck"
QUESTION = "question"
JUMP = "jump"
CONFIRM = "confirm"  # "好的" after "did it help?": ask whether it is solved
HANDOFF = "handoff"  # a person is asked for: the guide hands over with what was tried
UNCLEAR = "unclear"

#: The classifier is trusted on its own above this confidence.
CONFIDENT = 0.6
#: Below CONFIDENT, a guess of another topic above this still leaves the message to the rules.
GUESS = 0.3
#: Intents that answer a step whatever the classifier's confidence.
REPLY_INTENTS = frozenset({"affirm", "deny", "already_tried", "continue_guide"})
#: Button payloads of the step's question.
PAYLOADS = {"/affirm": SOLVED, "/deny": NOT_SOLVED, "/continue_guide": NEXT}
FALLBACK_INTENT = "nlu_fallback"
#: Actions after which the user's next message answers the step they showed.
GUIDE_ACTIONS = frozenset({"action_guide_start", "action_guide_advance"})
#: Urgent intents open a ticket whatever step the user is at.
URGENT = frozenset({"account_stolen", "unknown_charge"})


@dataclass(frozen=True)
class Reply:
    kind: str
    #: The step a JUMP goes to (1-based).
    step: int | None = None


@dataclass(frozen=True)
class ReplyPatterns:
    solved: Tuple[Pattern[str], ...]
    ok_now: Tuple[Pattern[str], ...]
    handoff: Tuple[Pattern[str], ...]
    new_topic: Tuple[Pattern[str], ...]
    trouble: Tuple[Pattern[str], ...]
    did_it: Tuple[Pattern[str], ...]
    negation: Pattern[str]
    not_solved: Tuple[Pattern[str], ...]
    already_fine: Tuple[Pattern[str], ...]
    stuck: Dict[str, Tuple[Pattern[str], ...]]
    question: Tuple[Pattern[str], ...]


def _compile(patterns) -> Tuple[Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns or ())


@lru_cache(maxsize=4)
def load_reply_patterns(path: Path | None = None) -> ReplyPatterns:
    raw = yaml.safe_load((path or CONTENT_DIR / "replies.yml").read_text(encoding="utf-8"))
    return ReplyPatterns(
        solved=_compile(raw["solved"]),
        ok_now=_compile(raw["ok_now"]),
        handoff=_compile(raw["handoff"]),
        new_topic=_compile(raw["new_topic"]),
        trouble=_compile(raw["trouble"]),
        did_it=_compile(raw["did_it"]),
        negation=re.compile(raw["negations"]),
        not_solved=_compile(raw["not_solved"]),
        already_fine=_compile(raw["already_fine"]),
        stuck={kind: _compile(patterns) for kind, patterns in raw["stuck"].items()},
        question=_compile(raw["question"]),
    )


def classifier_guess(parse_data: Dict[str, Any]) -> Tuple[str | None, float]:
    """The classifier's best intent and its confidence, looking past `nlu_fallback` to the runner-up."""
    for item in [parse_data.get("intent") or {}, *(parse_data.get("intent_ranking") or [])]:
        name = item.get("name")
        if name and name != FALLBACK_INTENT:
            return name, float(item.get("confidence") or 0.0)
    return None, 0.0


def _any(patterns: Tuple[Pattern[str], ...], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def says_solved(text: str, patterns: ReplyPatterns, own: Tuple[Pattern[str], ...] = ()) -> bool:
    """An explicit "solved" (general, or the guide's own `own`) that no negation right before it undoes."""
    for pattern in (*patterns.solved, *own):
        for match in pattern.finditer(text):
            if not patterns.negation.search(text[max(0, match.start() - 2): match.start()]):
                return True
    return False


def is_stuck(step: Step, text: str, patterns: ReplyPatterns) -> bool:
    if _any(step.stuck_when, text):
        return True
    return any(_any(patterns.stuck.get(kind, ()), text) for kind in step.stuck)


def interpret(position: Position, text: str, intent: str | None = None, confidence: float = 0.0,
              patterns: ReplyPatterns | None = None) -> Reply | None:
    """What `text` means as a reply to the step shown at `position`; None when it is not a reply.

    `intent` and `confidence` are the classifier's best guess (not `nlu_fallback`).
    """
    patterns = patterns or load_reply_patterns()
    guide: Guide = position.guide
    if not position.step:
        return None
    raw = (text or "").strip()
    if raw.startswith("/"):
        kind = PAYLOADS.get(raw.split("{", 1)[0])
        return Reply(kind) if kind else None
    normalized = normalize(raw)
    step = guide.steps[position.step - 1]
    if _any(patterns.handoff, normalized):
        return Reply(HANDOFF)
    if _any(patterns.new_topic, normalized) or (intent in URGENT and confidence >= CONFIDENT):
        return None
    # After a fix (troubleshoot), "still failing" means the fix did not help;
    # at an action (procedure), trouble is trouble with the action itself.
    if guide.kind != PROCEDURE and _any(patterns.not_solved, normalized):
        return Reply(NOT_SOLVED)
    if is_stuck(step, normalized, patterns):
        return Reply(STUCK)
    if _any(patterns.not_solved, normalized):
        return Reply(NOT_SOLVED)
    question = _any(patterns.question, normalized)
    if not question and says_solved(normalized, patterns, guide.solved_when):
        return Reply(SOLVED)
    if _any(patterns.ok_now, normalized):
        return Reply(DONE if guide.kind == PROCEDURE else SOLVED)
    for number, other in enumerate(guide.steps, start=1):
        if number != position.step and other.has_symptom_in(normalized):
            return Reply(JUMP, number)
    later = guide.steps[position.step - 1:]
    if not question and _any(patterns.did_it, normalized):
        return Reply(DONE)
    if not question and (any(s.is_done_by(normalized) for s in later) or _any(patterns.already_fine, normalized)):
        return Reply(ALREADY_DONE)
    if intent and confidence >= CONFIDENT and intent not in REPLY_INTENTS:
        if intent != guide.intent:
            return None
        if not question and _any(patterns.trouble, normalized):
            return Reply(NOT_SOLVED)
    if question:
        return Reply(QUESTION)
    if intent == "affirm":
        return Reply(DONE if guide.kind == PROCEDURE else CONFIRM)
    if intent == "deny":
        return Reply(NOT_SOLVED)
    if intent == "already_tried":
        return Reply(ALREADY_DONE)
    if intent == "continue_guide":
        return Reply(NEXT)
    if intent == guide.intent and _any(patterns.trouble, normalized):
        return Reply(NOT_SOLVED)
    if intent and intent not in REPLY_INTENTS and intent != guide.intent and confidence >= GUESS:
        return None
    return Reply(UNCLEAR)
