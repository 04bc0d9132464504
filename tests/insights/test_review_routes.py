"""The console's review queue API: list (collecting first), flag from a transcript, correct, dismiss, export.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.agents.models import SUPERVISOR
from bot.console.app import CONSOLE, create_app
from bot.database.database import Database
from bot.settings import Settings
from tests.console.conftest import BrowserClient, FakeRasa, sign_in
from tests.insights.conversations import PERIOD, events_as_api, sample_conversations, write
from tests.ticket_factories import make_agent, make_ticket

DAY_QUERY = "from=2026-11-20&to=2026-11-20"


@pytest.fixture
def world(tickets_db, tmp_path):
    """Conversations in a tracker store, a queued ticket of the handoff one, an agent, a supervisor."""
    conversations = sample_conversations()
    write(tmp_path / "okpay.db", conversations)
    with tickets_db.session() as session:
        make_agent(session, "li", name="小李"), make_agent(session, "wang"), make_agent(session, "chen", role=SUPERVISOR)
        ticket = make_ticket(session, "telegram:5", queued=True, channel="telegram",
                             now=PERIOD.start + timedelta(hours=4.25))
        other = make_ticket(session, "wechat:o1", channel="wechat", now=PERIOD.start + timedelta(hours=2.5))
    settings = Settings(database_url=tickets_db.url, tracker_db=tmp_path / "okpay.db",
                        service_timezone="Asia/Shanghai")
    return {"settings": settings, "ticket": ticket.number, "other": other.number,
            "events": {name: events_as_api(events) for name, events in conversations.items()}}


def run(world, database: Database, scenario: Callable[[BrowserClient, FakeRasa, object], Awaitable[None]]) -> None:
    rasa = FakeRasa()
    for conversation, events in world["events"].items():
        rasa.add_events(conversation, *events)

    async def main() -> None:
        app = create_app(world["settings"], database, rasa)
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await scenario(BrowserClient(client), rasa, app[CONSOLE])
        finally:
            await client.close()

    asyncio.run(main())


def test_flag_correct_dismiss_and_export(world, tickets_db):
    async def scenario(client, rasa, console):
        await sign_in(client, "li")
        flagged = await client.post("/api/review/flag", json={"ticket": world["ticket"], "seq": 0})
        assert flagged.status == 200, await flagged.text()
        assert (await flagged.json())["item"]["flagged"] is True
        not_a_message = await client.post("/api/review/flag", json={"ticket": world["ticket"], "seq": 2})
        assert not_a_message.status == 404 and (await not_a_message.json())["error"] == "message_not_found"
        for forbidden in ("/api/review", "/api/review/export.yml", "/api/review/labels"):
            assert (await client.get(forbidden)).status == 403
        assert (await client.post("/api/review/1/dismiss", json={})).status == 403

        await client.post("/api/logout", json={})
        await sign_in(client, "chen")
        recent = await (await client.get("/api/review")).json()  # the last 7 days: flagged in them
        assert "你们这个扣费我看不懂" in {item["text"] for item in recent["items"]}
        listed = await client.get(f"/api/review?{DAY_QUERY}")
        body = await listed.json()
        assert listed.status == 200 and body["collected"]["fallback"] == 1
        by_text = {item["text"]: item for item in body["items"]}
        assert set(by_text) == {"我的钱怎么还没到账啊", "asdkj 啥", "付款一直失败", "你们这个扣费我看不懂"}
        handoff = by_text["你们这个扣费我看不懂"]  # flagged first: collecting it again keeps the one row
        assert (handoff["reason"], handoff["flagged"], handoff["flagged_by"]) == ("flagged", True, "小李")

        low = by_text["我的钱怎么还没到账啊"]["id"]
        corrected = await client.post(f"/api/review/{low}/correct", json={
            "intent": "withdraw_not_arrived", "entities": []})
        assert corrected.status == 200 and (await corrected.json())["item"]["status"] == "corrected"
        dismissed = await client.post(f"/api/review/{by_text['asdkj 啥']['id']}/dismiss", json={})
        assert (await dismissed.json())["item"]["status"] == "dismissed"
        pending = await (await client.get(f"/api/review?{DAY_QUERY}")).json()
        assert {item["text"] for item in pending["items"]} == {"付款一直失败", "你们这个扣费我看不懂"}
        every = await (await client.get(f"/api/review?{DAY_QUERY}&status=all&channel=widget")).json()
        assert {item["status"] for item in every["items"]} == {"corrected", "dismissed"}

        labels = await (await client.get("/api/review/labels")).json()
        assert "faq/fees" in labels["intents"] and "faq" not in labels["intents"] and "amount" in labels["entities"]
        assert not any(name.startswith("EXTERNAL_") for name in labels["intents"])

        exported = await client.get("/api/review/export.yml")
        assert exported.status == 200 and "attachment" in exported.headers["Content-Disposition"]
        text = await exported.text()
        assert "- intent: withdraw_not_arrived" in text and "source: review" in text and "我的钱怎么还没到账啊" in text

    run(world, tickets_db, scenario)


def test_bad_input_is_refused_clearly(world, tickets_db):
    async def scenario(client, rasa, console):
        await sign_in(client, "chen")
        items = (await (await client.get(f"/api/review?{DAY_QUERY}")).json())["items"]
        item = next(i for i in items if i["text"] == "我的钱怎么还没到账啊")["id"]
        cases = [
            ("/api/review/99999/correct", {"intent": "greet"}, 404, "review_not_found"),
            ("/api/review/abc/correct", {"intent": "greet"}, 404, "review_not_found"),
            (f"/api/review/{10**30}/dismiss", {}, 404, "review_not_found"),
            ("/api/review/99999/dismiss", {}, 404, "review_not_found"),
            (f"/api/review/{item}/correct", {"intent": "EXTERNAL_handoff_resolved"}, 400, "unknown_intent"),
            (f"/api/review/{item}/correct", {"intent": "no_such_intent"}, 400, "unknown_intent"),
            (f"/api/review/{item}/correct", {"intent": "withdraw",
                                            "entities": [{"entity": "amount", "start": 3, "end": 99}]},
             400, "bad_entities"),
            ("/api/review/flag", {"ticket": world["ticket"]}, 400, "bad_request"),
            ("/api/review/flag", {"ticket": "OK-19990101-0001", "seq": 0}, 404, "not_found"),
        ]
        for path, body, status, code in cases:
            response = await client.post(path, json=body)
            answer = await response.json()
            assert (response.status, answer["error"]) == (status, code), path
            assert answer["message"] != code  # a Chinese explanation from messages.yml
        for query in ("from=2026-13-01", "from=9999-12-30&to=9999-12-31", "channel=fax", "from=2026-11-20&to=2026-11-01"):
            bad_period = await client.get(f"/api/review?{query}")
            assert bad_period.status == 400 and (await bad_period.json())["error"] == "bad_period", query
        bad_status = await client.get("/api/review?status=maybe")
        assert bad_status.status == 400 and (await bad_status.json())["error"] == "bad_request"
        rasa.down = True
        down = await client.post("/api/review/flag", json={"ticket": world["ticket"], "seq": 0})
        assert down.status == 502

    run(world, tickets_db, scenario)


def test_an_agent_may_not_flag_another_agents_conversation(world, tickets_db):
    async def scenario(client, rasa, console):
        await sign_in(client, "wang")
        assert (await client.post(f"/api/tickets/{world['ticket']}/claim", json={})).status == 200
        await client.post("/api/logout", json={})
        await sign_in(client, "li")
        refused = await client.post("/api/review/flag", json={"ticket": world["ticket"], "seq": 0})
        assert refused.status == 403 and (await refused.json())["error"] == "not_allowed"

    run(world, tickets_db, scenario)


def test_databases_down(world, tickets_db, tmp_path):
    world["settings"] = Settings(database_url=tickets_db.url, tracker_db=tmp_path / "gone" / "okpay.db")

    async def scenario(client, rasa, console):
        await sign_in(client, "chen")
        listed = await client.get(f"/api/review?{DAY_QUERY}")
        body = await listed.json()
        assert listed.status == 200 and body["conversations_unavailable"] is True and body["items"] == []
        console.database = Database("postgresql://postgres@127.0.0.1:1/test")
        for response in (await client.get(f"/api/review?{DAY_QUERY}"),
                         await client.post("/api/review/1/correct", json={"intent": "greet"})):
            assert response.status == 503 and (await response.json())["error"] == "store_unavailable"

    run(world, tickets_db, scenario)


def test_near_identical_messages_are_one_row_decided_together(tickets_db, tmp_path):
    """Six users wrote nearly the same thing the assistant hesitated on: one row of 6, corrected in one click."""
    from tests.insights.conversations import user

    texts = ["借呗的钱怎么提到银行卡", "借呗的钱怎么提到银行卡？", "借唄的錢怎麼提到銀行卡", "借呗的钱怎么提到银行卡啊",
             "借呗的钱怎么提到银行卡!!", "借呗的钱 怎么提到银行卡"]
    conversations = {f"widget:u:{n}": [user(text, "out_of_scope", 0.4, 1 + n, f"m{n}")] for n, text in enumerate(texts)}
    conversations["widget:u:x"] = [user("手续费怎么算的看不懂", "faq", 0.4, 9, "other")]
    write(tmp_path / "okpay.db", conversations)
    with tickets_db.session() as session:
        make_agent(session, "chen", role=SUPERVISOR)
    settings = Settings(database_url=tickets_db.url, tracker_db=tmp_path / "okpay.db", service_timezone="Asia/Shanghai")
    world = {"settings": settings, "events": {}}

    async def scenario(client, rasa, console):
        await sign_in(client, "chen")
        rows = (await (await client.get(f"/api/review?{DAY_QUERY}")).json())["items"]
        assert sorted(row["count"] for row in rows) == [1, 6]
        group = next(row for row in rows if row["count"] == 6)
        assert len(group["ids"]) == 6 and len(group["texts"]) == 6
        assert group["predicted_intent"] == "out_of_scope" and group["predicted_title"] == "业务范围外"
        corrected = await client.post(f"/api/review/{group['id']}/correct",
                                      json={"intent": "withdraw", "entities": [], "group": group["ids"]})
        body = (await corrected.json())["item"]
        assert corrected.status == 200 and body["count"] == 6 and body["corrected_title"] == "怎么提现"
        pending = (await (await client.get(f"/api/review?{DAY_QUERY}")).json())["items"]
        assert [row["text"] for row in pending] == ["手续费怎么算的看不懂"]
        bad = await client.post(f"/api/review/{pending[0]['id']}/dismiss", json={"group": ["1"]})
        assert bad.status == 400 and (await bad.json())["error"] == "bad_request"
        labels = await (await client.get("/api/review/labels")).json()
        assert labels["titles"]["payment_failed"] == "支付失败" and labels["titles"]["faq/fees"].endswith("手续费")

    run(world, tickets_db, scenario)
