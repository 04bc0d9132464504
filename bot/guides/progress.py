"""Where a user is in a guide and where the next message takes them.

Pure functions over a `Position`, so every path through a guide can be tested
without Rasa. The actions translate the result into responses and slots.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, FrozenSet

from bot.content.catalog import TROUBLESHOOT, Guide, load_guides


@dataclass(frozen=True)
class Position:
    guide: Guide
    step: int  # 1-based number of the step shown last; 0 before the first
    done: FrozenSet[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Move:
    """The result of a user's message inside a guide."""

    position: Position
    show_step: bool = False  # show `position.step` and ask about it
    skipped: bool = False  # some step was skipped because the user did it already
    noted_only: bool = False  # a later step was noted as done; the current one stays
    outcome: str | None = None  # "exhausted" (no step left) or "completed"


def position_from_slots(get_slot: Callable[[str], Any]) -> Position | None:
    """The position the slots `guide`, `guide_step` and `guide_done_steps` record (open or not).

    `get_slot` is a tracker's: Rasa's in the dialogue policy, rasa-sdk's in actions.
    """
    guide = load_guides().get(get_slot("guide") or "")
    if guide is None:
        return None
    step = min(max(int(get_slot("guide_step") or 0), 0), len(guide.steps))
    return Position(guide=guide, step=step, done=frozenset(get_slot("guide_done_steps") or ()))


EXHAUSTED = "exhausted"
COMPLETED = "completed"


def _next_open_step(guide: Guide, after: int, done: FrozenSet[str]) -> int | None:
    for number in range(after + 1, len(guide.steps) + 1):
        if guide.steps[number - 1].id not in done:
            return number
    return None


def _go_to_next(position: Position, done: FrozenSet[str], skipped: bool) -> Move:
    number = _next_open_step(position.guide, position.step, done)
    if number is None:
        return Move(Position(position.guide, position.step, done), skipped=skipped, outcome=EXHAUSTED)
    # Steps passed over on the way were skipped because the user did them.
    skipped = skipped or number > position.step + 1
    return Move(Position(position.guide, number, done), show_step=True, skipped=skipped)


def start(guide: Guide, text: str) -> Move:
    """Opens `guide`, skipping the steps the first message already rules out."""
    done = guide.steps_done_in(text)
    return _go_to_next(Position(guide, 0, frozenset()), done, skipped=False)


def not_solved(position: Position, text: str = "") -> Move:
    """The current step did not help: go to the next open step."""
    done = position.done | position.guide.steps_done_in(text)
    return _go_to_next(position, done, skipped=False)


def already_done(position: Position, text: str) -> Move:
    """The user says some step is done already ("我已经重启过了").

    A message that names no step in particular refers to the current one.
    When it names only later steps, they are noted and the current one stays.
    """
    guide = position.guide
    mentioned = guide.steps_done_in(text)
    current_id = guide.steps[position.step - 1].id if position.step else None
    if mentioned and current_id not in mentioned:
        return Move(Position(guide, position.step, position.done | mentioned), noted_only=True)
    done = position.done | mentioned | ({current_id} if current_id else set())
    return _go_to_next(Position(guide, position.step, frozenset(done)), frozenset(done), skipped=True)


def go_on(position: Position, interrupted: bool) -> Move:
    """"继续": show the current step again after a detour, else the next one.

    Past the last step a procedure is complete; a troubleshooting guide has
    run out of steps.
    """
    if interrupted and position.step:
        return Move(position, show_step=True)
    move = _go_to_next(position, position.done, skipped=False)
    if move.outcome == EXHAUSTED and position.guide.kind != TROUBLESHOOT:
        return Move(move.position, outcome=COMPLETED)
    return move


def tried_steps(position: Position) -> tuple[str, ...]:
    """Ids of the steps the user has been through or did before, in guide order."""
    shown = {step.id for step in position.guide.steps[: position.step]}
    return tuple(step.id for step in position.guide.steps if step.id in shown or step.id in position.done)
