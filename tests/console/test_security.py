"""The console's locks: CSRF token, sign-in throttle (memory and Redis), who may do what, response headers."""
from __future__ import annotations

import asyncio
import re

import pytest
import redis
from sqlalchemy import func, select

from bot.agents.models import SUPERVISOR, Agent
from bot.console import sessions
from bot.console.app import HERE as CONSOLE_DIR
from bot.console.login_limit import LoginLimiter, TooManyAttempts, client_key
from bot.console.passwords import dummy_hash, verify_password
from bot.console.security import CSRF_COOKIE, csrf_token
from bot.settings import Settings
from bot.tickets import store
from bot.tickets.models import NOTE, SENIOR_QUEUE, TicketEvent
from bot.widget.routes import HERE as WIDGET_DIR
from tests.console.conftest import run, sign_in
from tests.ticket_factories import PASSWORD, make_agent, make_ticket


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(console_db):
    """li holds a conversation; one waits in the senior queue, one was recorded for later."""
    with console_db.session() as session:
        li, wang = make_agent(session, "li"), make_agent(session, "wang")
        make_agent(session, "chen", senior=True)
        make_agent(session, "boss", role=SUPERVISOR)
        held = make_ticket(session, "user-held", queued=True)
        store.claim(session, held.id, li, capacity=3)
        senior = make_ticket(session, "user-senior", queued=True, queue=SENIOR_QUEUE)
        waiting = make_ticket(session, "user-waiting", queued=True)
        offline = make_ticket(session, "user-offline")
        return {"held": held.number, "senior": senior.number, "waiting": waiting.number, "offline": offline.number,
                "wang": wang.username}


def ticket_state(database, number):
    with database.session() as session:
        ticket = store.ticket_by_number(session, number)
        notes = session.execute(select(func.count()).select_from(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == NOTE)).scalar_one()
        return ticket.status, ticket.assigned_agent_id, notes


async def fail_sign_in(client, username, status=401, **headers):
    response = await client.post("/api/login", json={"username": username, "password": "wrong-password"},
                                 headers=headers)
    assert response.status == status, await response.text()
    return response


# --------------------------------------------------------------------------- CSRF
def test_sign_in_sets_a_csrf_token_bound_to_the_session(console_settings, console_db, world):
    async def scenario(client, rasa):
        response = await client.post("/api/login", json={"username": "li", "password": PASSWORD})
        body = await response.json()
        assert body["csrf_token"] == csrf_token(body["token"]) and len(body["csrf_token"]) >= 32
        csrf, session = response.cookies[CSRF_COOKIE], response.cookies["okpay_console"]
        assert csrf.value == body["csrf_token"]
        assert not csrf["httponly"] and csrf["samesite"] == "Strict" and csrf["path"] == "/" and not csrf["secure"]
        assert session["httponly"] and session["samesite"] == "Strict"
        me = await (await client.get("/api/me")).json()
        assert me["csrf_token"] == body["csrf_token"]  # a reloaded page gets it again
        # Another sign-in, another token.
        assert (await sign_in(client, "wang")) != body["token"] and client.csrf() != body["csrf_token"]

    run(console_settings, console_db, scenario)


def test_posts_without_the_right_csrf_token_change_nothing(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        number = world["held"]
        before = ticket_state(console_db, number)
        other_session = csrf_token("someone-elses-session-token")
        for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "x" * 64}, {"X-CSRF-Token": other_session}):
            for action, body in (("notes", {"body": "伪造的备注"}), ("reply", {"text": "伪造"}), ("resolve", {})):
                refused = await client.raw.post(f"/api/tickets/{number}/{action}", json=body, headers=headers)
                data = await refused.json()
                assert refused.status == 403 and data["error"] == "csrf" and data["message"], (action, headers)
            assert (await client.raw.post("/api/presence", json={"status": "away"}, headers=headers)).status == 403
            assert (await client.raw.post("/api/logout", json={}, headers=headers)).status == 403
        assert ticket_state(console_db, number) == before and rasa.calls == []
        assert (await client.get("/api/me")).status == 200  # still signed in
        # The right token (what console.js sends): it works.
        assert (await client.post(f"/api/tickets/{number}/notes", json={"body": "真的备注"})).status == 200
        assert ticket_state(console_db, number)[2] == before[2] + 1
        # The cookie token, still JSON only.
        form = await client.post(f"/api/tickets/{number}/notes", data="body=x",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert form.status == 415

    run(console_settings, console_db, scenario)


def test_bearer_clients_need_no_csrf_token(console_settings, console_db, world):
    async def scenario(client, rasa):
        token = await sign_in(client, "li")
        client.session.cookie_jar.clear()
        bearer = {"Authorization": f"Bearer {token}"}
        noted = await client.raw.post(f"/api/tickets/{world['held']}/notes", json={"body": "来自脚本"}, headers=bearer)
        assert noted.status == 200
        assert (await (await client.raw.get("/api/me", headers=bearer)).json())["csrf_token"] == csrf_token(token)

    run(console_settings, console_db, scenario)


def test_secure_cookies_when_the_setting_says_so(console_db, world):
    settings = Settings(database_url=console_db.url, console_secure_cookies=True)

    async def scenario(client, rasa):
        response = await client.post("/api/login", json={"username": "li", "password": PASSWORD})
        assert response.cookies["okpay_console"]["secure"] and response.cookies[CSRF_COOKIE]["secure"]

    run(settings, console_db, scenario)


# ---------------------------------------------------------------- sign-in throttle
def test_five_failures_lock_the_username_from_that_address_until_the_window_passes(console_settings, console_db, world):
    clock = Clock()
    limiter = LoginLimiter.from_settings(console_settings, clock=clock)
    assert (limiter.max_per_user, limiter.max_per_ip, limiter.window_s) == (5, 20, 900)

    async def scenario(client, rasa):
        for _ in range(5):
            await fail_sign_in(client, "li")
            clock.now += 10
        locked = await client.post("/api/login", json={"username": "li", "password": PASSWORD})
        assert locked.status == 429 and (await locked.json())["error"] == "too_many_attempts"
        assert locked.headers["Retry-After"] == "850"  # the first failure leaves the window in 850 s
        assert (await fail_sign_in(client, "LI ", status=429)).headers["Retry-After"] == "850"  # same name
        await sign_in(client, "wang")  # other usernames are not locked
        clock.now += 849
        assert (await client.post("/api/login", json={"username": "li", "password": PASSWORD})).status == 429
        clock.now += 1  # the first failure is out of the window: one more try
        await sign_in(client, "li")

    run(console_settings, console_db, scenario, login_limiter=limiter)


def test_a_successful_sign_in_clears_the_pairs_failures(console_settings, console_db, world):
    limiter = LoginLimiter.from_settings(console_settings, clock=Clock())

    async def scenario(client, rasa):
        for _ in range(4):
            await fail_sign_in(client, "li")
        await sign_in(client, "li")
        for _ in range(4):
            await fail_sign_in(client, "li")  # 8 within the window, but only 4 since the success
        await sign_in(client, "li")

    run(console_settings, console_db, scenario, login_limiter=limiter)


def test_twenty_failures_lock_the_client_address(console_settings, console_db, world):
    clock = Clock()
    limiter = LoginLimiter.from_settings(console_settings, clock=clock)

    async def scenario(client, rasa):
        for n in range(20):
            # X-Forwarded-For from a peer that is not a trusted proxy is ignored.
            await fail_sign_in(client, f"guess{n}", **{"X-Forwarded-For": f"198.51.100.{n}"})
        locked = await client.post("/api/login", json={"username": "li", "password": PASSWORD})
        assert locked.status == 429 and locked.headers["Retry-After"] == "900"
        clock.now += 900
        await sign_in(client, "li")

    run(console_settings, console_db, scenario, login_limiter=limiter)


def test_behind_a_trusted_proxy_the_forwarded_address_counts(console_db, world):
    settings = Settings(database_url=console_db.url, console_trusted_proxies="10.0.0.9, 127.0.0.1")
    limiter = LoginLimiter.from_settings(settings, clock=Clock())
    attacker = {"X-Forwarded-For": "203.0.113.7, 10.0.0.9"}  # client, then a second trusted proxy

    async def scenario(client, rasa):
        for n in range(20):
            await fail_sign_in(client, f"guess{n}", **attacker)
        await fail_sign_in(client, "li", status=429, **attacker)
        colleague = await client.post("/api/login", json={"username": "li", "password": PASSWORD},
                                      headers={"X-Forwarded-For": "203.0.113.8"})
        assert colleague.status == 200

    run(settings, console_db, scenario, login_limiter=limiter)


def test_an_attacker_cannot_lock_an_agent_out_behind_a_trusted_proxy(console_db, world):
    settings = Settings(database_url=console_db.url, console_trusted_proxies="127.0.0.1")
    limiter = LoginLimiter.from_settings(settings, clock=Clock())

    def via_proxy(client_address, forged="198.51.100.1"):  # what the client wrote, then what the proxy added
        return {"X-Forwarded-For": f"{forged}, {client_address}"}

    async def scenario(client, rasa):
        for n in range(5):  # a new forged address each time: the proxy's hop is the one that counts
            await fail_sign_in(client, "li", **via_proxy("203.0.113.7", forged=f"198.51.100.{n}"))
        right = {"username": "li", "password": PASSWORD}
        assert (await client.post("/api/login", json=right, headers=via_proxy("203.0.113.7"))).status == 429
        assert (await client.post("/api/login", json=right, headers=via_proxy("203.0.113.8"))).status == 200
        # Spraying every username from one address locks that address, never the agents.
        for n in range(15):
            await fail_sign_in(client, ("wang", "chen", "boss")[n % 3], **via_proxy("203.0.113.9"))
        await fail_sign_in(client, "wang", status=429, **via_proxy("203.0.113.9"))
        for username in ("li", "wang", "chen", "boss"):
            response = await client.post("/api/login", json={"username": username, "password": PASSWORD},
                                         headers=via_proxy("192.0.2.44"))
            assert response.status == 200, username

    run(settings, console_db, scenario, login_limiter=limiter)


def test_an_ipv6_client_counts_as_its_64_network():
    limiter = LoginLimiter(clock=Clock())

    async def attempts():
        for n in range(5):  # one host has a whole /64: a new address each time changes nothing
            await limiter.begin("li", f"2001:db8:1:2::{n + 1:x}")
        with pytest.raises(TooManyAttempts):
            await limiter.begin("li", "2001:db8:1:2:ffff::9")
        await limiter.begin("li", "2001:db8:1:3::1")  # another network
        for _ in range(5):
            await limiter.begin("wang", "::ffff:192.0.2.7")  # an IPv4 client seen through IPv6
        with pytest.raises(TooManyAttempts):
            await limiter.begin("wang", "192.0.2.7")

    asyncio.run(attempts())
    assert client_key("2001:db8:1:2:abcd::1") == "2001:db8:1:2::/64" and client_key("not an address") == "not an address"


def test_unknown_and_known_usernames_cost_the_same_password_verification(console_settings, console_db, world,
                                                                        monkeypatch):
    with console_db.session() as session:
        make_agent(session, "gone").active = False
        hashes = {a.username: a.password_hash for a in session.execute(select(Agent)).scalars()}
    verified = []

    def recording(password_hash, password):
        verified.append(password_hash)
        return verify_password(password_hash, password)

    monkeypatch.setattr(sessions, "verify_password", recording)

    async def scenario(client, rasa):
        answers = []
        for username, password in (("nobody", "wrong-password"), ("li", "wrong-password"), ("gone", PASSWORD),
                                   ("nobody", PASSWORD)):
            response = await client.post("/api/login", json={"username": username, "password": password})
            answers.append((response.status, await response.json()))
        assert all(answer == answers[0] for answer in answers) and answers[0][0] == 401
        assert verified == [dummy_hash(), hashes["li"], hashes["gone"], dummy_hash()]  # one verification each

    run(console_settings, console_db, scenario)


def test_the_memory_throttle_stays_bounded():
    limiter = LoginLimiter(max_keys=10, clock=Clock())

    async def many():
        for n in range(100):
            await limiter.begin(f"user{n}", f"192.0.2.{n}")

    asyncio.run(many())
    assert len(limiter._memory) == 10  # the least recently used forgotten first
    assert list(limiter._memory)[-2:] == list(limiter._keys("user99", "192.0.2.99"))


def test_the_redis_throttle_is_shared_between_processes(console_settings, console_db, world, redis_url):
    clock = Clock()
    settings = console_settings.copy(update={"redis_url": str(redis_url)})

    def limiter():  # each console process has its own
        return LoginLimiter.from_settings(settings, prefix=redis_url.prefix, clock=clock)

    async def fail_five(client, rasa):
        for _ in range(5):
            await fail_sign_in(client, "li")

    async def locked(client, rasa):
        response = await client.post("/api/login", json={"username": "li", "password": PASSWORD})
        assert response.status == 429 and response.headers["Retry-After"] == "900"

    async def signs_in(client, rasa):
        await sign_in(client, "li")

    run(settings, console_db, fail_five, login_limiter=limiter())
    keys = redis.Redis.from_url(redis_url).keys(redis_url.prefix + "*")
    assert keys and all(0 < redis.Redis.from_url(redis_url).ttl(key) <= 900 for key in keys)
    run(settings, console_db, locked, login_limiter=limiter())
    clock.now += 900
    run(settings, console_db, signs_in, login_limiter=limiter())
    # The success cleared li's failures and took its own attempt back.
    assert redis.Redis.from_url(redis_url).zcard(redis_url.prefix + "ip:127.0.0.1") == 0


def test_redis_down_refuses_sign_ins_with_503(console_settings, console_db, world):
    settings = console_settings.copy(update={"redis_url": "redis://127.0.0.1:1/0"})

    async def scenario(client, rasa):
        response = await client.post("/api/login", json={"username": "li", "password": PASSWORD})
        body = await response.json()
        assert response.status == 503 and body["error"] == "login_limiter_unavailable" and body["message"]
        assert "okpay_console" not in response.cookies

    run(settings, console_db, scenario)


# ----------------------------------------------------------------------- roles
def test_only_the_handling_agent_or_a_supervisor_acts_on_a_held_conversation(console_settings, console_db, world):
    number = world["held"]
    actions = [("notes", {"body": "我来看看"}), ("reply", {"text": "您好"}), ("transfer", {"queue": "senior"}),
               ("resolve", {})]

    async def scenario(client, rasa):
        await sign_in(client, "wang")
        claim = await client.post(f"/api/tickets/{number}/claim", json={})
        assert claim.status == 409 and (await claim.json())["error"] == "already_claimed"
        for action, body in actions:
            refused = await client.post(f"/api/tickets/{number}/{action}", json=body)
            assert refused.status == 403 and (await refused.json())["error"] == "not_allowed", action
        transcript = await client.get(f"/api/tickets/{number}/transcript")
        assert transcript.status == 403 and (await transcript.json())["error"] == "not_allowed"
        assert (await client.get(f"/api/tickets/{number}")).status == 403  # nor its fields, notes and history
        assert rasa.calls == []

        client.session.cookie_jar.clear()
        await sign_in(client, "li")
        assert (await client.get(f"/api/tickets/{number}/transcript")).status == 200
        assert (await client.post(f"/api/tickets/{number}/notes", json={"body": "我的"})).status == 200

        client.session.cookie_jar.clear()
        await sign_in(client, "boss")
        assert (await client.get(f"/api/tickets/{number}/transcript")).status == 200
        for action, body in actions:
            done = await client.post(f"/api/tickets/{number}/{action}", json=body)
            assert done.status == 200, (action, await done.text())
            if action == "transfer":  # back in the senior queue: the supervisor takes it to resolve it
                assert (await client.post(f"/api/tickets/{number}/claim", json={})).status == 200

    run(console_settings, console_db, scenario)
    assert ticket_state(console_db, number)[0] == "resolved"


def test_the_senior_queue_is_for_senior_agents_and_supervisors(console_settings, console_db, world):
    number = world["senior"]

    async def scenario(client, rasa):
        await sign_in(client, "li")
        waiting = [t["number"] for t in (await (await client.get("/api/queue")).json())["waiting"]]
        assert waiting == [world["waiting"]]
        assert (await client.get(f"/api/tickets/{number}/transcript")).status == 403
        assert (await client.post(f"/api/tickets/{number}/notes", json={"body": "x"})).status == 403
        assert (await client.post(f"/api/tickets/{number}/claim", json={})).status == 403
        for username in ("chen", "boss"):
            client.session.cookie_jar.clear()
            await sign_in(client, username)
            waiting = [t["number"] for t in (await (await client.get("/api/queue")).json())["waiting"]]
            assert number in waiting and world["waiting"] in waiting
            assert (await client.get(f"/api/tickets/{number}/transcript")).status == 200
        claimed = await client.post(f"/api/tickets/{number}/claim", json={})  # the supervisor
        assert claimed.status == 200

    run(console_settings, console_db, scenario)


def test_waiting_and_offline_tickets_are_open_to_every_agent(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "wang")
        for number in (world["waiting"], world["offline"]):
            assert (await client.get(f"/api/tickets/{number}/transcript")).status == 200
            assert (await client.post(f"/api/tickets/{number}/notes", json={"body": "看过了"})).status == 200
        assert (await client.post(f"/api/tickets/{world['offline']}/resolve", json={})).status == 200
        assert (await client.post(f"/api/tickets/{world['waiting']}/claim", json={})).status == 200

    run(console_settings, console_db, scenario)


def test_agent_activity_is_for_supervisors(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        refused = await client.get("/api/agents/activity")
        assert refused.status == 403 and (await refused.json())["error"] == "not_allowed"
        client.session.cookie_jar.clear()
        await sign_in(client, "boss")
        agents = {a["username"]: a for a in (await (await client.get("/api/agents/activity")).json())["agents"]}
        assert agents["li"]["handling"] == 1 and agents["wang"]["handling"] == 0
        assert agents["li"]["last_seen_at"] and agents["boss"]["presence"] == "online"

    run(console_settings, console_db, scenario)


def test_the_store_rules_for_each_kind_of_ticket(console_db, world):
    with console_db.session() as session:
        agents = {a: session.execute(select(Agent).where(Agent.username == a)).scalar_one()
                  for a in ("li", "wang", "chen", "boss")}
        tickets = {name: store.ticket_by_number(session, world[name]) for name in ("held", "senior", "waiting", "offline")}
        allowed = {(who, name) for who, agent in agents.items() for name, ticket in tickets.items()
                   if store.may_access(ticket, agent)}
    everyone = {(who, name) for who in agents for name in ("waiting", "offline")}
    assert allowed == everyone | {("li", "held"), ("boss", "held"), ("chen", "senior"), ("boss", "senior")}


# -------------------------------------------------------------------- headers
def test_every_response_has_the_security_headers(console_settings, console_db, world):
    async def scenario(client, rasa):
        await sign_in(client, "li")
        responses = [await client.get(path, allow_redirects=False) for path in (
            "/login", "/", "/api/queue", "/static/console.js", "/nowhere", f"/tickets/{world['held']}")]
        responses.append(await client.raw.post("/api/logout", json={}))  # a refusal (403 csrf)
        client.session.cookie_jar.clear()
        responses.append(await client.get("/api/queue"))  # 401
        for response in responses:
            headers = response.headers
            assert headers["X-Content-Type-Options"] == "nosniff", response.url
            assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"
            csp = headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp

    run(console_settings, console_db, scenario)


def test_the_widget_demo_page_may_connect_to_rasas_socket_only(console_db):
    settings = Settings(database_url=console_db.url, widget_jwt_secret="demo-secret-0123456789abcdef-0123456789",
                        widget_socket_url="https://chat.example.com")

    async def scenario(client, rasa):
        page = await client.get("/widget?user=alice")
        csp = page.headers["Content-Security-Policy"]
        assert page.status == 200 and "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert "connect-src 'self' https://chat.example.com wss://chat.example.com" in csp
        assert page.headers["X-Frame-Options"] == "DENY"

    run(settings, console_db, scenario)


@pytest.mark.parametrize("template", sorted([*(CONSOLE_DIR / "templates").glob("*.html"),
                                             *(WIDGET_DIR / "templates").glob("*.html")]), ids=lambda p: p.name)
def test_no_page_has_inline_script_or_style(template):
    html = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), "inline style or event handler"
