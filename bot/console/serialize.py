"""Tickets, agents and transcripts as JSON for the console's API.

The user's phone numbers and e-mail addresses stay stored on the ticket in
full, but only the agent who claimed the conversation and supervisors see them
so (`contacts_visible`); everyone else sees "138****5678" and "a***@qq.com",
in the ticket's fields, its free texts and the transcript.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping

from bot.agents.models import SUPERVISOR, Agent
from bot.content.catalog import load_guides
from bot.content.ticket_rules import load_ticket_rules
from bot.privacy import mask_contact, mask_contacts
from bot.tickets.models import NOTE, Ticket


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def agent_json(agent: Agent) -> Dict[str, Any]:
    return {
        "id": agent.id, "username": agent.username, "display_name": agent.display_name,
        "agent_number": agent.agent_number, "role": agent.role, "senior": agent.senior,
        "presence": agent.presence,
    }


def step_labels(steps: List[str]) -> List[Dict[str, str]]:
    """"payment_failed:network" → {"id": …, "label": "检查网络"} (the label agents read)."""
    guides = load_guides()
    labelled = []
    for step in steps:
        guide_name, _, step_id = step.partition(":")
        guide = guides.get(guide_name)
        match = next((s for s in guide.steps if s.id == step_id), None) if guide else None
        labelled.append({"id": step, "label": match.label if match else step})
    return labelled


def contacts_visible(ticket: Ticket, viewer: Mapping[str, Any] | None) -> bool:
    """Whether `viewer` (an `agent_json`) sees the user's contacts in full: a supervisor, or the agent handling it.

    Nobody in particular (`None`) sees them masked.
    """
    if viewer is None:
        return False
    return viewer.get("role") == SUPERVISOR or (
        ticket.assigned_agent_id is not None and ticket.assigned_agent_id == viewer.get("id")
    )


def masked_transcript(lines: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Transcript lines (`bot.console.transcript`) with the contacts in their texts masked."""
    return [{**line, "text": mask_contacts(line["text"])} if line.get("text") else line for line in lines]


def ticket_json(ticket: Ticket, now: datetime, position: int | None = None, full: bool = False,
                viewer: Mapping[str, Any] | None = None) -> Dict[str, Any]:
    """The ticket as the console shows it to `viewer`: contacts masked unless `contacts_visible`."""
    agent = ticket.assigned_agent
    visible = contacts_visible(ticket, viewer)

    def shown(text: str | None) -> str | None:
        return text if visible or not text else mask_contacts(text)

    data: Dict[str, Any] = {
        "number": ticket.number,
        "status": ticket.status,
        "category": ticket.category,
        "category_label": load_ticket_rules().category_label(ticket.category),
        "priority": ticket.priority,
        "queue": ticket.queue,
        "channel": ticket.channel,
        "conversation_id": ticket.conversation_id,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "queued_at": _iso(ticket.queued_at),
        "waiting_seconds": int((now - ticket.queued_at).total_seconds()) if ticket.queued_at else None,
        "assigned_agent": agent_json(agent) if agent else None,
        "description": shown(ticket.description),
        "contacts_masked": not visible,
    }
    if position is not None:
        data["position"] = position
    if full:
        data.update(
            contact_phone=ticket.contact_phone if visible else mask_contact(ticket.contact_phone),
            contact_email=ticket.contact_email if visible else mask_contact(ticket.contact_email),
            txn_time=ticket.txn_time,
            amount=None if ticket.amount is None else str(ticket.amount),
            steps_tried=step_labels(list(ticket.steps_tried or [])),
            handoff_reason=ticket.handoff_reason,
            claimed_at=_iso(ticket.claimed_at),
            resolved_at=_iso(ticket.resolved_at),
            rating=None if ticket.rating is None else {
                "score": ticket.rating.score, "comment": shown(ticket.rating.comment),
            },
            notes=[
                {"body": shown(e.body), "time": _iso(e.created_at), "agent": e.agent.display_name if e.agent else None}
                for e in ticket.history if e.kind == NOTE
            ],
            history=[
                {"kind": e.kind, "from": e.from_status, "to": e.to_status, "body": shown(e.body) if e.kind != NOTE else None,
                 "agent": e.agent.display_name if e.agent else None, "time": _iso(e.created_at)}
                for e in ticket.history
            ],
        )
    return data
