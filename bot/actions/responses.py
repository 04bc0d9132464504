"""Responses that actions utter by name, which Rasa's validator cannot see.

`bot.cli.validate` accepts "not used in any story or rule" only for these, and
tests/test_domain.py checks that each of them exists in the domain.
"""
from __future__ import annotations

from typing import FrozenSet

import yaml

from bot.content.catalog import load_guides
from bot.settings import PROJECT_ROOT

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
        "utter_guide_unclear",
        "utter_guide_confirm_solved",
        "utter_guide_jump",
    }
)
FALLBACK_RESPONSES = frozenset({"utter_ask_rephrase", "utter_fallback_handoff"})
TICKET_RESPONSES = frozenset(
    {
        "utter_handoff_start",
        "utter_urgent_account_stolen",
        "utter_urgent_unknown_charge",
        "utter_ticket_contact_invalid",
        "utter_ticket_contact_required",
        "utter_ticket_txn_time_invalid",
        "utter_ticket_amount_invalid",
        "utter_ticket_description_invalid",
        "utter_ticket_description_required",
        "utter_ticket_description_shortened",
        "utter_ticket_cancelled",
        "utter_ticket_limit",
        "utter_ticket_queued",
        "utter_ticket_recorded_closed",
        "utter_ticket_recorded_busy",
        "utter_ticket_store_down",
        "utter_ticket_store_down_status",
        "utter_handoff_cancelled",
        "utter_nothing_to_cancel",
        "utter_ticket_not_found",
        "utter_ticket_none",
        "utter_handback",
        "utter_rating_invalid",
        "utter_rating_thanks",
        "utter_rating_skipped",
        "utter_rating_not_saved",
        # Sent by the agent console through Rasa's /execute endpoint.
        "utter_agent_joined",
        "utter_transfer_senior",
    }
    | {f"utter_ticket_status_{status}" for status in ("open", "queued", "assigned", "resolved", "cancelled")}
)

#: Sent by the Rasa process itself (bot/runtime/, bot/rasa_patches.py) when a
#: store or the action server fails, or a user writes a secret.
RUNTIME_RESPONSES = frozenset({"utter_try_again_shortly", "utter_service_busy", "utter_secret_warning"})


#: Values actions pass to `utter_message(response=..., **values)` for `{…}` in texts.
TEMPLATE_VARIABLES = frozenset(
    {
        "queue_position", "wait_minutes", "service_hours", "limit",
        "open_month", "open_day", "open_time", "updated_month", "updated_day", "updated_time",
    }
)


def form_questions() -> FrozenSet[str]:
    """`utter_ask_<slot>` of every form's slots: Rasa's forms utter them by name."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return frozenset(
        f"utter_ask_{slot}" for form in (domain.get("forms") or {}).values() for slot in form["required_slots"]
    )


def responses_uttered_by_actions() -> FrozenSet[str]:
    """Every response an action or a form may utter, including each guide's steps."""
    steps = {
        response
        for guide in load_guides().values()
        for response in [guide.intro_response]
        + [guide.step_response(n) for n in range(1, len(guide.steps) + 1)]
        + [guide.help_response(n) for n in range(1, len(guide.steps) + 1)]
    }
    return GUIDE_RESPONSES | FALLBACK_RESPONSES | TICKET_RESPONSES | RUNTIME_RESPONSES | form_questions() | steps
