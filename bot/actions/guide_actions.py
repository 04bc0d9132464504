"""Actions that walk a user through a guide, one step at a time.

Domain contract: slots `guide` (text), `guide_step` (float), `guide_done_steps`
(list), `guide_active` (bool), `guide_title` (text); responses
`utter_guide_<name>_intro`, `utter_guide_<name>_<n>`, `utter_ask_guide_helped`,
`utter_ask_guide_next`, `utter_guide_solved`, `utter_guide_solved_procedure`,
`utter_guide_skipped`, `utter_guide_step_noted`, `utter_guide_exhausted`,
`utter_guide_completed`, `utter_no_guide`, `utter_guide_paused`,
`utter_anything_else`, `utter_no_problem`, `utter_ask_problem` (checked by
tests/test_domain.py).
"""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.tracker_reading import (
    last_bot_action_before_user,
    last_bot_response,
    latest_intent,
    latest_text,
)
from bot.content.catalog import TROUBLESHOOT, guide_for_intent
from bot.guides import replies
from bot.guides.progress import (
    COMPLETED,
    EXHAUSTED,
    Move,
    Position,
    already_done,
    go_on,
    not_solved,
    position_from_slots,
    start,
    tried_steps,
)
from bot.guides.replies import GUIDE_ACTIONS, Reply, classifier_guess, interpret
from bot.nlu.normalize import normalize
from bot.observability import metrics

#: Responses that offer a person; "好的" right after one of them means "yes, hand me over".
HANDOFF_OFFERS = frozenset({"utter_guide_exhausted"})
#: What a reply means when no guide is open (affirm after "还有别的吗？" …).
REPLY_WITHOUT_GUIDE = {
    "affirm": "utter_anything_else",
    "deny": "utter_no_problem",
    "already_tried": "utter_ask_problem",
}


def position_from_tracker(tracker: Tracker) -> Position | None:
    return position_from_slots(tracker.get_slot)


def open_position(tracker: Tracker) -> Position | None:
    """The position in the guide the user is walking now, if one is open."""
    position = position_from_tracker(tracker)
    return position if position is not None and tracker.get_slot("guide_active") else None


def position_slots(position: Position) -> List[EventType]:
    return [
        SlotSet("guide", position.guide.name),
        SlotSet("guide_step", float(position.step)),
        SlotSet("guide_done_steps", sorted(position.done)),
        SlotSet("guide_active", True),
        SlotSet("guide_title", position.guide.title),
    ]


def cleared_guide_slots() -> List[EventType]:
    return [
        SlotSet("guide", None),
        SlotSet("guide_step", None),
        SlotSet("guide_done_steps", None),
        SlotSet("guide_active", False),
        SlotSet("guide_title", None),
    ]


def render_move(move: Move, dispatcher: CollectingDispatcher) -> List[EventType]:
    """Says what `move` means to the user and returns the slots to set."""
    position, guide = move.position, move.position.guide
    if move.skipped:
        dispatcher.utter_message(response="utter_guide_skipped")
    if move.noted_only:
        dispatcher.utter_message(response="utter_guide_step_noted")
        dispatcher.utter_message(response=guide.prompt_response)
        return position_slots(position)
    if move.outcome == EXHAUSTED:
        # Nothing helped: offer a person, and keep what was tried for the ticket.
        metrics.guide_ended(guide.name, EXHAUSTED)
        dispatcher.utter_message(response="utter_guide_exhausted")
        return cleared_guide_slots() + [
            SlotSet("last_guide", guide.name),
            SlotSet("last_guide_steps", list(tried_steps(position))),
        ]
    if move.outcome == COMPLETED:
        metrics.guide_ended(guide.name, COMPLETED)
        dispatcher.utter_message(response="utter_guide_completed")
        return cleared_guide_slots()
    metrics.guide_step(guide.name, position.step)
    dispatcher.utter_message(response=guide.step_response(position.step))
    dispatcher.utter_message(response=guide.prompt_response)
    return position_slots(position)


class ActionGuideStart(Action):
    """Opens the guide of the latest intent (a guide intent such as `payment_failed`)."""

    def name(self) -> str:
        return "action_guide_start"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        guide = guide_for_intent(latest_intent(tracker))
        if guide is None:
            dispatcher.utter_message(response="utter_default")
            return []
        text = latest_text(tracker)
        current = open_position(tracker)
        if current is not None and current.guide.name == guide.name and current.step:
            # "还是付不了款" in the middle of the payment guide: not solved yet.
            return render_move(not_solved(current, text), dispatcher)
        dispatcher.utter_message(response=guide.intro_response)
        opening = [
            SlotSet("guide_opening", tracker.latest_message.get("text")),
            SlotSet("last_guide", None),
            SlotSet("last_guide_steps", None),
        ]
        return opening + render_move(start(guide, text), dispatcher)


class ActionGuideAdvance(Action):
    """Answers a reply to a guide's step (see bot/guides/replies.py for what a reply can mean).

    Inside an open guide: solved closes it; done / not solved / already done
    move on; stuck or a question gets the step's help; a situation another
    step is about jumps there; "好的" after "did it help?" is asked about.
    Outside one, 好的 / 不用了 / 试过了 get a plain answer and "继续" says
    there is nothing to continue. A procedure closed with "解决了" can still be
    continued with "下一步".
    """

    def name(self) -> str:
        return "action_guide_advance"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent, text = latest_intent(tracker), tracker.latest_message.get("text") or ""
        position = position_from_tracker(tracker)
        if intent == "affirm" and last_bot_response(tracker.events) in HANDOFF_OFFERS:
            return [FollowupAction("action_prepare_ticket")]
        if intent in REPLY_WITHOUT_GUIDE and open_position(tracker) is None:
            dispatcher.utter_message(response=REPLY_WITHOUT_GUIDE[intent])
            return []
        if position is None:
            dispatcher.utter_message(response="utter_no_guide")
            return []
        interrupted = last_bot_action_before_user(tracker.events) not in GUIDE_ACTIONS
        reply = interpret(position, text, *classifier_guess(tracker.latest_message)) or _reply_by_intent(intent)
        return answer_reply(reply, position, text, interrupted, dispatcher)


#: What a rule-routed reply means when its words say nothing about the step.
_KIND_BY_INTENT = {"affirm": replies.DONE, "deny": replies.NOT_SOLVED, "already_tried": replies.ALREADY_DONE}


def _reply_by_intent(intent: str | None) -> Reply:
    return Reply(_KIND_BY_INTENT.get(intent or "", replies.NEXT))


def answer_reply(reply: Reply, position: Position, text: str, interrupted: bool,
                 dispatcher: CollectingDispatcher) -> List[EventType]:
    """Says what `reply` means at `position` and returns the slots to set."""
    guide = position.guide
    if reply.kind == replies.HANDOFF:
        # The open guide tells the ticket what was tried (bot/actions/ticket_context.py).
        return [FollowupAction("action_prepare_ticket")]
    if reply.kind == replies.SOLVED:
        metrics.guide_ended(guide.name, metrics.SOLVED)
        dispatcher.utter_message(response=guide.solved_response)
        return cleared_guide_slots() if guide.kind == TROUBLESHOOT else [SlotSet("guide_active", False)]
    if reply.kind in (replies.DONE, replies.NEXT, replies.CONFIRM) and interrupted:
        # "好的" / "继续" after a detour: back to the step we were at.
        return render_move(go_on(position, interrupted=True), dispatcher)
    if reply.kind == replies.CONFIRM:
        dispatcher.utter_message(response="utter_guide_confirm_solved")
        return []
    if reply.kind in (replies.DONE, replies.NEXT):
        return render_move(go_on(position, interrupted=False), dispatcher)
    if reply.kind == replies.NOT_SOLVED:
        return render_move(not_solved(position, normalize(text)), dispatcher)
    if reply.kind == replies.ALREADY_DONE:
        return render_move(already_done(position, normalize(text)), dispatcher)
    if reply.kind in (replies.STUCK, replies.QUESTION) and position.step:
        dispatcher.utter_message(response=guide.help_response(position.step))
        dispatcher.utter_message(response=guide.prompt_response)
        return []
    if reply.kind == replies.JUMP and reply.step:
        dispatcher.utter_message(response="utter_guide_jump")
        return render_move(Move(Position(guide, reply.step, position.done), show_step=True), dispatcher)
    dispatcher.utter_message(response="utter_guide_unclear")
    dispatcher.utter_message(response=guide.prompt_response)
    return []


class ActionGuideReminder(Action):
    """After a detour (a question, an unrelated topic), says how to go back."""

    def name(self) -> str:
        return "action_guide_reminder"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        if open_position(tracker) is not None:
            dispatcher.utter_message(response="utter_guide_paused")
        return []
