"""The console's JSON API: sign-in, sessions, queue, claim, reply, notes, transfer, resolve, bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.agents.models import AgentSession
from bot.database.schema import utcnow
from bot.privacy import MASK
from bot.tickets.models import Ticket, TicketEvent
from tests.console.conftest import run, sign_in
from tests.ticket_factories import make_agent, make_ticket


@pytest.fixture
def world(console_db):
    """Two agents, a senior one, and a queued and an offline ticket."""
    with console_db.session() as session:
        li, wang = make_agent(session, "li", name="小李"), make_agent(session, "wang", name="小王")
        senior = make_agent(session, "chen", senior=True, name="老陈")
        queued = make_ticket(session, "user-1", queued=True, channel="callback")
        offline = make_ticket(session, "user-2")
        return {"li": li.username, "wang": wang.username, "senior": senior.username,
                "queued": queued.number, "offline": offline.number}


def test_wrong_password_and_missing_session_are_refused(console_settings, console_db, world):
    async def scenario(client, rasa):
        wrong = await client.post("/api/login", json={"username": "li", "password": "nope-nope"})
        assert wrong.status == 401 and (await wrong.json())["error"] == "bad_credentials"
        anonymous = await client.get("/api/queue")
        assert anonymous.status == 401 and (await anonymous.json())["error"] == "not_signed_in"
        page = await client.get("/", allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/login"
        forged = await client.get("/api/queue", headers={"Authorization": "Bearer forged"})
        assert forged.status == 401

    run(console_settings, console_db, scenario)


def test_sessions_expire(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        assert (await client.get("/api/me")).status == 200
        with console_db.session() as session:
            session.execute(update(AgentSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert (await client.get("/api/me")).status == 401

    run(console_settings, console_db, scenario)


def test_bad_bodies_get_clear_errors(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        form = await client.post(f"/api/tickets/{world['queued']}/claim", data="x=1",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status == 415 and (await form.json())["error"] == "json_required"
        broken = await client.post(f"/api/tickets/{world['queued']}/notes", data="{not json",
                                   headers={"Content-Type": "application/json"})
        assert broken.status == 400 and (await broken.json())["error"] == "bad_json"
        unknown = await client.post("/api/tickets/OK-19990101-0001/claim", json={})
        assert unknown.status == 404 and (await unknown.json())["message"]
        empty = await client.post(f"/api/tickets/{world['queued']}/notes", json={"body": "  "})
        assert empty.status == 400
        huge = await client.post(f"/api/tickets/{world['queued']}/notes", json={"body": "长" * 100000})
        assert huge.status == 413
        transfer = await client.post(f"/api/tickets/{world['queued']}/transfer", json={})
        assert transfer.status == 400

    run(console_settings, console_db, scenario)


def test_queue_claim_and_a_second_claim(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        queue = await (await client.get("/api/queue")).json()
        assert [t["number"] for t in queue["waiting"]] == [world["queued"]]
        assert [t["number"] for t in queue["open"]] == [world["offline"]]
        claimed = await client.post(f"/api/tickets/{world['queued']}/claim", json={})
        assert claimed.status == 200 and (await claimed.json())["ticket"]["status"] == "assigned"
        assert rasa.called("introduce_agent") == [("user-1", "小李", world_number("li"), "callback")]
        client.session.cookie_jar.clear()
        await sign_in(client, "wang")
        again = await client.post(f"/api/tickets/{world['queued']}/claim", json={})
        assert again.status == 409 and (await again.json())["error"] == "already_claimed"

    def world_number(username):
        with console_db.session() as session:
            from sqlalchemy import select

            from bot.tickets.models import Agent
            return session.execute(select(Agent.agent_number).where(Agent.username == username)).scalar_one()

    run(console_settings, console_db, scenario)


def test_reply_note_transfer_and_resolve(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        number = world["queued"]
        early = await client.post(f"/api/tickets/{number}/reply", json={"text": "您好"})
        assert early.status == 409  # not claimed yet
        await client.post(f"/api/tickets/{number}/claim", json={})
        assert (await client.post(f"/api/tickets/{number}/reply", json={"text": "您好，我是小李"})).status == 200
        call = rasa.called("say_as_agent")[0]
        assert call[:2] == ("user-1", "您好，我是小李") and call[2]["name"] == "小李" and call[3] == "callback"
        noted = await (await client.post(f"/api/tickets/{number}/notes", json={"body": "内部：已核实"})).json()
        assert noted["ticket"]["notes"][0]["body"] == "内部：已核实"
        assert len(rasa.called("say_as_agent")) == 1  # the note went nowhere
        moved = await client.post(f"/api/tickets/{number}/transfer", json={"queue": "senior"})
        assert (await moved.json())["ticket"]["queue"] == "senior"
        assert rasa.called("execute")[-1][1] == "utter_transfer_senior"
        refused = await client.post(f"/api/tickets/{number}/claim", json={})
        assert refused.status == 403  # li is not senior
        client.session.cookie_jar.clear()
        await sign_in(client, "chen")
        await client.post(f"/api/tickets/{number}/claim", json={})
        resolved = await (await client.post(f"/api/tickets/{number}/resolve", json={})).json()
        assert resolved["ticket"]["status"] == "resolved" and resolved["delivered"] is True
        assert rasa.called("hand_back") == [("user-1", number, "callback")]

    run(console_settings, console_db, scenario)


def test_transcript_after_a_sequence_number(console_settings, console_db, world):
    async def scenario(client, rasa):
        rasa.add_events("user-1", *[
            {"event": "user", "text": "提现没到", "timestamp": 1.0},
            {"event": "bot", "text": "第1步…", "timestamp": 2.0, "data": {"buttons": [{"title": "解决了"}]}},
            {"event": "pause", "timestamp": 3.0},
            {"event": "bot", "text": "您好", "timestamp": 4.0, "metadata": {"agent": {"name": "小李", "number": "KF1"}}},
        ])
        await sign_in(client, "li")
        lines = (await (await client.get(f"/api/tickets/{world['queued']}/transcript")).json())["messages"]
        assert [line["role"] for line in lines] == ["user", "bot", "system", "agent"]
        assert lines[1]["buttons"] == ["解决了"] and lines[3]["agent_name"] == "小李"
        newer = (await (await client.get(f"/api/tickets/{world['queued']}/transcript?after=2")).json())["messages"]
        assert [line["text"] for line in newer] == ["您好"]
        bad = await client.get(f"/api/tickets/{world['queued']}/transcript?after=x")
        assert bad.status == 400

    run(console_settings, console_db, scenario)


def test_rasa_down_keeps_the_claim_and_says_so(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        rasa.down = True
        claimed = await (await client.post(f"/api/tickets/{world['queued']}/claim", json={})).json()
        assert claimed["ticket"]["status"] == "assigned" and claimed["delivered"] is False
        reply = await client.post(f"/api/tickets/{world['queued']}/reply", json={"text": "在吗"})
        assert reply.status == 502 and (await reply.json())["error"] == "rasa_unavailable"
        with console_db.session() as session:
            from sqlalchemy import select
            assert session.execute(select(Ticket.status).where(Ticket.number == world["queued"])).scalar_one() == "assigned"

    run(console_settings, console_db, scenario)


def test_a_reply_the_users_channel_refuses_is_reported_as_not_delivered(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        await client.post(f"/api/tickets/{world['queued']}/claim", json={})
        rasa.refuse_delivery = True
        reply = await client.post(f"/api/tickets/{world['queued']}/reply", json={"text": "在吗"})
        body = await reply.json()
        assert reply.status == 502 and body["error"] == "not_delivered" and "48" in body["message"]

    run(console_settings, console_db, scenario)


def test_logout_ends_the_session_and_goes_away(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        assert (await (await client.get("/api/me")).json())["agent"]["presence"] == "online"
        assert (await client.post("/api/logout", json={})).status == 200
        assert (await client.get("/api/me")).status == 401

    run(console_settings, console_db, scenario)


def test_secrets_an_agent_pastes_are_hidden_before_a_reply_is_sent_or_a_note_stored(console_settings, console_db,
                                                                                     world):
    card, password = "4111 1111 1111 1111", "abc12345"

    async def scenario(client, rasa):
        await sign_in(client, "li")
        number = world["queued"]
        await client.post(f"/api/tickets/{number}/claim", json={})
        reply = await client.post(f"/api/tickets/{number}/reply", json={"text": f"您的卡号 {card} 已登记，密码是{password}"})
        assert (await reply.json())["redacted"] == ["bank_card", "password"]
        sent = rasa.called("say_as_agent")[0][1]
        assert sent == f"您的卡号 {MASK} 已登记，密码是{MASK}"
        lines = (await (await client.get(f"/api/tickets/{number}/transcript")).json())["messages"]
        assert card not in str(lines) and MASK in lines[-1]["text"]
        noted = await (await client.post(f"/api/tickets/{number}/notes", json={"body": f"用户卡号 {card}"})).json()
        assert noted["redacted"] == ["bank_card"] and noted["ticket"]["notes"][-1]["body"] == f"用户卡号 {MASK}"
        plain = await (await client.post(f"/api/tickets/{number}/notes", json={"body": "已核实身份"})).json()
        assert plain["redacted"] == [] and plain["ticket"]["notes"][-1]["body"] == "已核实身份"

    run(console_settings, console_db, scenario)
    with console_db.session() as session:
        stored = " ".join(body for (body,) in session.execute(select(TicketEvent.body)).all() if body)
    assert card not in stored and card.replace(" ", "") not in stored and password not in stored


def test_only_the_handling_agent_can_show_the_user_that_someone_is_typing(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        assert (await client.post(f"/api/tickets/{world['queued']}/typing", json={})).status == 409  # not claimed
        assert (await client.post(f"/api/tickets/{world['queued']}/claim", json={})).status == 200
        answer = await client.post(f"/api/tickets/{world['queued']}/typing", json={"typing": True})
        assert answer.status == 200 and (await answer.json()) == {"shown": False}  # a callback user: no widget
        assert rasa.called("agent_typing") == [("user-1", True)]
        rasa.down = True
        answer = await client.post(f"/api/tickets/{world['queued']}/typing", json={})
        assert answer.status == 200 and (await answer.json()) == {"shown": False}
        rasa.down = False
        await client.post("/api/logout", json={})
        await sign_in(client, "wang")  # li's conversation now
        assert (await client.post(f"/api/tickets/{world['queued']}/typing", json={})).status == 403
        assert len(rasa.called("agent_typing")) == 1

    run(console_settings, console_db, scenario)
