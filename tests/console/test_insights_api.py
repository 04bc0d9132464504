"""The insights API and exports: supervisors only, figures of the period asked, exports parsed back and compared."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from bot.agents.models import SUPERVISOR
from bot.conversations.events_table import events as events_table
from bot.settings import Settings
from bot.tickets.models import Rating, Ticket
from tests.console.conftest import run, sign_in
from tests.insights.generated import Script, rows_of, user, utc, write
from tests.ticket_factories import make_agent

SCRIPTS = ([Script("solved", "payment_failed", steps=2)] * 3 + [Script("ticket", "withdraw", steps=3, rating=4)] * 2
           + [Script("faq")] * 2)
OCTOBER = "from=2026-10-01&to=2026-10-31"


@pytest.fixture
def world(console_db):
    """A supervisor, an agent, and October's conversations in the console's database."""
    with console_db.session() as session:
        make_agent(session, "boss", role=SUPERVISOR)
        make_agent(session, "li")
        handler = make_agent(session, "wang", name="小王")
        write(session, SCRIPTS, utc(2026, 10, 1), days=30, channels=("wechat", "widget"), agent=handler)
    with console_db.session() as session:
        tickets = session.query(Ticket).order_by(Ticket.id).all()
        tickets[0].contact_phone = "13812345678"
        tickets[0].description = "提现没到账，联系我 13812345678 或 a.user@example.com"
        session.query(Rating).filter(Rating.ticket_id == tickets[0].id).one().comment = "客服很好 13812345678"
    return console_db


@pytest.fixture
def settings(world) -> Settings:
    path = Path(world.url.split("///", 1)[1])
    return Settings(database_url=world.url, tracker_db=path, service_timezone="Asia/Shanghai")


def test_supervisors_get_the_figures_of_the_period_and_channel(settings, world):
    async def scenario(client, rasa):
        await sign_in(client, "boss")
        october = await (await client.get(f"/api/insights?{OCTOBER}")).json()
        assert october["conversations"] == len(SCRIPTS)
        assert (october["period"]["first_day"], october["period"]["last_day"]) == ("2026-10-01", "2026-10-31")
        assert october["tickets"]["total"] == 2 and october["satisfaction"]["average"] == 4.0
        assert {g["guide"]: g["solved"] for g in october["guides"]} == {"payment_failed": 3, "withdraw": 0}
        wechat = await (await client.get(f"/api/insights?{OCTOBER}&channel=wechat")).json()
        assert wechat["conversations"] == 4  # every other conversation is on WeChat
        september = await (await client.get("/api/insights?from=2026-09-01&to=2026-09-30")).json()
        assert september["conversations"] == 0

    run(settings, world, scenario)


def test_agents_are_refused_and_sent_back_to_the_queue(settings, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        assert (await client.get(f"/api/insights?{OCTOBER}")).status == 403
        assert (await client.get(f"/api/insights/export/tickets.csv?{OCTOBER}")).status == 403
        page = await client.get("/insights", allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/"

    run(settings, world, scenario)


def test_signed_out_requests_get_nothing(settings, world):
    async def scenario(client, rasa):
        assert (await client.get(f"/api/insights?{OCTOBER}")).status == 401
        assert (await client.get(f"/api/insights/export/conversations.json?{OCTOBER}")).status == 401

    run(settings, world, scenario)


@pytest.mark.parametrize("query", ["from=2026-10-32", "from=2026-10-05&to=2026-10-01", "channel=fax",
                                   "from=2020-01-01&to=2026-01-01"])
def test_unreadable_periods_get_a_clear_400(settings, world, query):
    async def scenario(client, rasa):
        await sign_in(client, "boss")
        response = await client.get(f"/api/insights?{query}")
        assert response.status == 400
        assert (await response.json())["error"] == "bad_period"

    run(settings, world, scenario)


def test_unknown_exports_are_404(settings, world):
    async def scenario(client, rasa):
        await sign_in(client, "boss")
        for path in ("/api/insights/export/agents.csv", "/api/insights/export/tickets.xlsx"):
            response = await client.get(f"{path}?{OCTOBER}")
            assert response.status == 404, path

    run(settings, world, scenario)


def test_ticket_exports_parse_back_with_contacts_masked(settings, world):
    async def scenario(client, rasa):
        await sign_in(client, "boss")
        response = await client.get(f"/api/insights/export/tickets.csv?{OCTOBER}")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert 'filename="okpay-tickets-2026-10-01-2026-10-31.csv"' in response.headers["Content-Disposition"]
        body = (await response.read()).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(body)))
        as_json = json.loads(await (await client.get(f"/api/insights/export/tickets.json?{OCTOBER}")).text())
        assert [row["number"] for row in rows] == [t["number"] for t in as_json["tickets"]]
        assert len(rows) == 2 and {row["category"] for row in rows} == {"withdraw"}
        first = as_json["tickets"][0]
        assert first["contact_phone"] == "138****5678"
        assert first["description"] == "提现没到账，联系我 138****5678 或 a***@example.com"
        assert first["rating"] == 4 and first["rating_comment"] == "客服很好 138****5678"
        assert first["agent"].startswith("小王") and first["status"] == "resolved"
        assert "13812345678" not in body and "a.user@example.com" not in body
        assert as_json["period"]["start"] == "2026-09-30T16:00:00+00:00"

    run(settings, world, scenario)


def test_conversation_exports_have_every_message_in_order(settings, world):
    async def scenario(client, rasa):
        await sign_in(client, "boss")
        body = await (await client.get(f"/api/insights/export/conversations.json?{OCTOBER}&channel=widget")).json()
        messages = body["conversations"]
        assert {m["channel"] for m in messages} == {"widget"}
        assert {m["conversation_id"] for m in messages} == {f"widget:gen-{i}" for i in range(1, len(SCRIPTS), 2)}
        first = [m for m in messages if m["conversation_id"] == "widget:gen-1"]
        assert [m["speaker"] for m in first][:2] == ["user", "bot"]
        assert first[0]["intent"] == "payment_failed" and first[0]["confidence"] == 0.95
        assert [m["time"] for m in first] == sorted(m["time"] for m in first)
        text = (await (await client.get(f"/api/insights/export/conversations.csv?{OCTOBER}&channel=widget")).read())
        rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
        assert [(r["conversation_id"], r["text"]) for r in rows] == [(m["conversation_id"], m["text"]) for m in messages]

    run(settings, world, scenario)


def test_a_database_that_is_down_is_a_clear_503(settings, world, tmp_path):
    broken = Settings(database_url=world.url, tracker_db=tmp_path / "missing" / "nothing.db")

    async def scenario(client, rasa):
        await sign_in(client, "boss")
        response = await client.get(f"/api/insights?{OCTOBER}")
        assert response.status == 503
        assert (await response.json())["error"] == "store_unavailable"

    run(broken, world, scenario)


def test_a_formula_in_a_users_message_or_a_ticket_is_text_in_the_csv_exports(settings, world):
    link = '=HYPERLINK("http://x","点我")'
    with world.session() as session:
        message = user(link, "nlu_fallback", message_id="formula-1")
        message.timestamp = utc(2026, 10, 15).timestamp()
        session.execute(events_table.insert(), list(rows_of("widget:formula-user", [message])))
        ticket = session.query(Ticket).order_by(Ticket.id).first()
        ticket.description, ticket.amount, ticket.txn_time = "\u3000" + link, Decimal("-12.50"), "@SUM(A1)"

    async def download(client, kind, fmt):
        response = await client.get(f"/api/insights/export/{kind}.{fmt}?{OCTOBER}")
        assert response.status == 200
        return (await response.read()).decode("utf-8-sig")

    async def scenario(client, rasa):
        await sign_in(client, "boss")
        messages = list(csv.DictReader(io.StringIO(await download(client, "conversations", "csv"))))
        assert [row["text"] for row in messages if row["conversation_id"] == "widget:formula-user"] == ["'" + link]
        assert not any(row[field].startswith(("=", "+", "-", "@")) for row in messages for field in row)
        tickets = list(csv.DictReader(io.StringIO(await download(client, "tickets", "csv"))))
        first = tickets[0]
        assert first["description"] == "'\u3000" + link and first["txn_time"] == "'@SUM(A1)"
        assert first["amount"] == "-12.50"  # a number stays a number
        raw = json.loads(await download(client, "tickets", "json"))["tickets"][0]
        assert raw["description"] == "\u3000" + link  # JSON is not a spreadsheet: the text as it is

    run(settings, world, scenario)
