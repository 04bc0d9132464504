"""Responses that actions utter by name, which Rasa's validator cannot see.

`bot.cli.validate` accepts "not used in any story or rule" only for these, and
tests/test_domain.py checks that each of them exists in the domain.
"""
from __future__ import annotations

from typing import FrozenSet

from bot.content.catalog import load_guides

GUIDE_RESPONSES = frozenset(
    {
        "utter_ask_guide_helped",
        "utter_ask_guide_next",
        "utter_guide_solved",
        "utter_guide_solved_procedure",
        "utter_guide_skipped",
        "utter_guide_step_noted",
        "utter_guide_exhausted",
        "utter_guide_completed",
        "utter_no_guide",
        "utter_default",
        "utter_guide_paused",
        "utter_anything_else",
        "utter_no_problem",
        "utter_ask_problem",
    }
)
FALLBACK_RESPONSES = frozenset({"utter_ask_rephrase", "utter_offer_human"})


def responses_uttered_by_actions() -> FrozenSet[str]:
    """Every response an action may utter, including each guide's steps."""
    steps = {
        response
        for guide in load_guides().values()
        for response in [guide.intro_response]
        + [guide.step_response(n) for n in range(1, len(guide.steps) + 1)]
    }
    return GUIDE_RESPONSES | FALLBACK_RESPONSES | steps
