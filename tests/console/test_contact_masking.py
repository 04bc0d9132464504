"""Phone numbers and e-mails: in full for the agent who claimed the conversation and for supervisors, masked for others."""
from __future__ import annotations

import json

import pytest

from bot.agents.models import SUPERVISOR
from bot.console.serialize import contacts_visible, masked_transcript, ticket_json
from bot.database.schema import utcnow
from bot.tickets import store
from tests.console.conftest import run, sign_in
from tests.ticket_factories import make_agent, make_ticket

PHONE, EMAIL = "13812345678", "li.ming@example.com"
MASKED_PHONE, MASKED_EMAIL = "138****5678", "l***@example.com"


@pytest.fixture
def world(console_db):
    """Two agents, a supervisor, and a queued ticket whose user left a phone number and an e-mail address."""
    with console_db.session() as session:
        for username in ("li", "wang"):
            make_agent(session, username)
        make_agent(session, "boss", role=SUPERVISOR)
        ticket = make_ticket(session, "user-1", queued=True, contact_phone=PHONE, contact_email=EMAIL,
                             description=f"付款失败，回电 {PHONE}")
        return {"ticket": ticket.number}


EVENTS = [
    {"event": "user", "text": f"我的手机号是{PHONE}", "timestamp": 1.0},
    {"event": "bot", "text": "好的，还有邮箱吗？", "timestamp": 2.0},
    {"event": "user", "text": f"邮箱 {EMAIL}", "timestamp": 3.0},
]


async def _views(client, number):
    """(status, body text) of the transcript and of the ticket, as the signed-in agent gets them."""
    views = []
    for path in (f"/api/tickets/{number}/transcript", f"/api/tickets/{number}"):
        response = await client.get(path)
        views.append((response.status, await response.text()))
    return views


def _user_lines(body):
    return [line["text"] for line in json.loads(body)["messages"] if line["role"] == "user"]


async def _switch(client, username):
    client.session.cookie_jar.clear()
    await sign_in(client, username)


def test_unclaimed_masked_then_full_for_the_claiming_agent_only(console_settings, console_db, world):
    number = world["ticket"]

    async def scenario(client, rasa):
        rasa.add_events("user-1", *EVENTS)
        await sign_in(client, "li")
        (status, body), (ticket_status, ticket_body) = await _views(client, number)
        assert status == 200 and _user_lines(body) == [f"我的手机号是{MASKED_PHONE}", f"邮箱 {MASKED_EMAIL}"]
        ticket = json.loads(ticket_body)["ticket"]
        assert ticket_status == 200 and ticket["contacts_masked"] is True
        assert (ticket["contact_phone"], ticket["contact_email"]) == (MASKED_PHONE, MASKED_EMAIL)
        assert ticket["description"] == f"付款失败，回电 {MASKED_PHONE}"
        queue = await (await client.get("/api/queue")).text()
        assert MASKED_PHONE in queue and PHONE not in queue

        claimed = await (await client.post(f"/api/tickets/{number}/claim", json={})).json()
        assert claimed["ticket"]["contact_phone"] == PHONE and claimed["ticket"]["contacts_masked"] is False
        (status, body), (_, ticket_body) = await _views(client, number)
        assert _user_lines(body) == [f"我的手机号是{PHONE}", f"邮箱 {EMAIL}"]
        ticket = json.loads(ticket_body)["ticket"]
        assert (ticket["contact_phone"], ticket["contact_email"], ticket["description"]) == (
            PHONE, EMAIL, f"付款失败，回电 {PHONE}")
        mine = (await (await client.get("/api/queue")).json())["mine"]
        assert mine[0]["description"] == f"付款失败，回电 {PHONE}"

        await _switch(client, "wang")
        for status, body in await _views(client, number):
            # Another agent may be refused the conversation altogether; if shown it, the contacts are masked.
            assert status in (200, 403) and PHONE not in body and EMAIL not in body
            if status == 200:
                assert MASKED_PHONE in body

        await _switch(client, "boss")
        (status, body), (_, ticket_body) = await _views(client, number)
        assert _user_lines(body) == [f"我的手机号是{PHONE}", f"邮箱 {EMAIL}"]
        assert json.loads(ticket_body)["ticket"]["contact_phone"] == PHONE

    run(console_settings, console_db, scenario)


def test_a_supervisor_sees_contacts_before_anyone_claims(console_settings, console_db, world):
    async def scenario(client, rasa):
        rasa.add_events("user-1", *EVENTS)
        await sign_in(client, "boss")
        (_, body), (_, ticket_body) = await _views(client, world["ticket"])
        assert _user_lines(body)[0] == f"我的手机号是{PHONE}"
        assert json.loads(ticket_body)["ticket"]["contact_email"] == EMAIL
        waiting = (await (await client.get("/api/queue")).json())["waiting"]
        assert waiting[0]["description"] == f"付款失败，回电 {PHONE}"

    run(console_settings, console_db, scenario)


def test_notes_and_comments_are_masked_for_others_too(console_db):
    with console_db.session() as session:
        li, wang = make_agent(session), make_agent(session)
        ticket = make_ticket(session, "user-9", queued=True, contact_phone="+86 139 1234 0000")
        store.claim(session, ticket.id, li, capacity=2)
        store.add_note(session, ticket, li, f"用户说晚上打 {PHONE}")
        viewer = {"id": wang.id, "role": "agent"}
        shown = ticket_json(ticket, utcnow(), full=True, viewer=viewer)
        assert shown["contact_phone"] == "+86 139****0000" and shown["contact_email"] is None
        assert shown["notes"][0]["body"] == f"用户说晚上打 {MASKED_PHONE}"
        assert ticket_json(ticket, utcnow(), full=True, viewer={"id": li.id, "role": "agent"})["notes"][0]["body"] \
            == f"用户说晚上打 {PHONE}"
        assert ticket_json(ticket, utcnow(), full=True)["contacts_masked"] is True  # nobody in particular


def test_contacts_visible_and_masked_transcript():
    ticket = type("T", (), {"assigned_agent_id": 7})()
    assert contacts_visible(ticket, {"id": 7, "role": "agent"})
    assert not contacts_visible(ticket, {"id": 8, "role": "agent"})
    assert contacts_visible(ticket, {"id": 8, "role": SUPERVISOR})
    assert not contacts_visible(ticket, None)
    assert not contacts_visible(type("T", (), {"assigned_agent_id": None})(), {"id": None, "role": "agent"})
    lines = [{"seq": 1, "role": "user", "text": f"电话{PHONE}"},
             {"seq": 2, "role": "user", "text": "", "unreadable": "image"}]
    assert masked_transcript(lines) == [{"seq": 1, "role": "user", "text": f"电话{MASKED_PHONE}"}, lines[1]]
    assert lines[0]["text"] == f"电话{PHONE}"  # the lines given are not changed
