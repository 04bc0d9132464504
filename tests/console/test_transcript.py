"""The agent's view of a conversation, from tracker events: only the ticket's own part of the user's history."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.agents.models import SUPERVISOR
from bot.console.transcript import Opening, ticket_window, transcript
from bot.tickets import store
from tests.console.conftest import run, sign_in
from tests.ticket_factories import make_agent, make_ticket

CONVERSATION = "widget:u:alice"


def test_what_a_channel_could_not_read_is_shown_as_its_kind_and_console_intents_are_hidden():
    events = [
        {"event": "user", "text": "/EXTERNAL_unsupported_message", "metadata": {"message_kind": "image"}, "timestamp": 1},
        {"event": "user", "text": "/EXTERNAL_unsupported_message", "timestamp": 2},
        {"event": "user", "text": "/EXTERNAL_handoff_resolved", "timestamp": 3},
        {"event": "user", "text": "EXTERNAL: EXTERNAL_handoff_resolved", "timestamp": 3.5,
         "parse_data": {"intent": {"name": "EXTERNAL_handoff_resolved"}}},
        {"event": "user", "text": "还在吗", "timestamp": 4},
    ]
    lines = transcript(events)
    assert [(line["role"], line["text"], line.get("unreadable")) for line in lines] == [
        ("user", "", "image"), ("user", "", "other"), ("user", "还在吗", None),
    ]


def user(text, seq_id=None, at=0.0):
    event = {"event": "user", "text": text, "timestamp": at, "parse_data": {"intent": {"name": "x", "confidence": 0.9}}}
    if seq_id:
        event["message_id"] = seq_id
    return event


def bot(text, at=0.0, agent=None):
    event = {"event": "bot", "text": text, "timestamp": at}
    if agent:
        event["metadata"] = {"agent": {"name": agent, "number": "KF1"}}
    return event


#: Alice's history: an old session; then, in one session, a ticket wang handled and a second one li handles.
HISTORY = [
    {"event": "session_started", "timestamp": 1.0},                        # 0
    user("上个月的旧问题：改密码", "old-1", 2.0),                               # 1
    bot("旧会话的回答", 3.0),                                                # 2
    {"event": "session_started", "timestamp": 100.0},                      # 3
    user("付款失败", "a-1", 101.0),                                          # 4
    bot("付款第1步", 102.0),                                                 # 5
    user("付款还是失败，转人工", "req-1", 103.0),                                # 6  the first ticket's request
    {"event": "pause", "timestamp": 104.0},                                # 7
    bot("您好，我是小王，您的卡号尾号是 1234", 105.0, agent="小王"),                  # 8
    user("好的谢谢小王", "a-2", 106.0),                                        # 9
    {"event": "resume", "timestamp": 107.0},                               # 10 wang handed it back
    user("/EXTERNAL_handoff_resolved", "ext-1", 108.0),                    # 11
    bot("请为本次服务打分", 109.0),                                            # 12
    user("5", "a-3", 110.0),                                               # 13
    user("提现没到账", "b-1", 200.0),                                         # 14
    bot("提现第1步", 201.0),                                                 # 15
    user("没解决，转人工", "req-2", 202.0),                                     # 16 the second ticket's request
    {"event": "pause", "timestamp": 203.0},                                # 17
    bot("您好，我是小李", 204.0, agent="小李"),                                   # 18
    user("提现三天了", "b-2", 205.0),                                         # 19
]
FIRST = {"付款失败", "付款第1步", "付款还是失败，转人工", "您好，我是小王，您的卡号尾号是 1234", "好的谢谢小王"}
SECOND = {"提现没到账", "提现第1步", "没解决，转人工", "您好，我是小李", "提现三天了"}
EARLIER_SESSION = {"上个月的旧问题：改密码", "旧会话的回答"}
CREATED = datetime(2026, 11, 20, tzinfo=timezone.utc)


def openings(*message_ids):
    return [Opening(store.request_key(CONVERSATION, message_id), CREATED) for message_id in message_ids]


def test_a_tickets_window_starts_with_its_session_after_the_previous_handoff_and_ends_where_the_next_begins():
    first, second = openings("req-1", "req-2")
    assert ticket_window(HISTORY, CONVERSATION, [first, second], 0) == range(4, 11)
    assert ticket_window(HISTORY, CONVERSATION, [first, second], 1) == range(11, 20)
    # Alone in its conversation, the first ticket runs to the end of the tracker.
    assert ticket_window(HISTORY, CONVERSATION, [first], 0) == range(4, 20)


def test_without_a_request_key_the_last_user_message_before_the_ticket_was_created_asked_for_it():
    by_time = [Opening(None, datetime.fromtimestamp(103.5, timezone.utc)),
               Opening(None, datetime.fromtimestamp(202.5, timezone.utc))]
    assert ticket_window(HISTORY, CONVERSATION, by_time, 0) == range(4, 11)
    assert ticket_window(HISTORY, CONVERSATION, by_time, 1) == range(11, 20)


def test_a_restart_starts_another_conversation_too():
    events = [user("旧的", "o", 1.0), {"event": "restart", "timestamp": 2.0}, user("新的", "n", 3.0)]
    assert ticket_window(events, CONVERSATION, openings("n"), 0) == range(2, 3)


def test_a_ticket_shows_only_its_own_conversation_not_an_earlier_ticket_another_agent_handled(console_settings,
                                                                                              console_db):
    with console_db.session() as session:
        wang, li = make_agent(session, "wang", name="小王"), make_agent(session, "li", name="小李")
        make_agent(session, "boss", role=SUPERVISOR)
        earlier = make_ticket(session, CONVERSATION, queued=True, channel="widget",
                              request_key=store.request_key(CONVERSATION, "req-1"))
        store.claim(session, earlier.id, wang, 3)
        store.resolve(session, earlier, wang)
        later = make_ticket(session, CONVERSATION, queued=True, channel="widget",
                            request_key=store.request_key(CONVERSATION, "req-2"))
        store.claim(session, later.id, li, 3)
        numbers = earlier.number, later.number

    async def texts(client, number, after=None):
        query = "" if after is None else f"?after={after}"
        response = await client.get(f"/api/tickets/{number}/transcript{query}")
        assert response.status == 200, await response.text()
        return {line["text"] for line in (await response.json())["messages"] if line["role"] != "system"}

    async def scenario(client, rasa):
        rasa.add_events(CONVERSATION, *HISTORY)
        await sign_in(client, "li")
        mine = await texts(client, numbers[1])
        assert SECOND <= mine and not mine & (FIRST | EARLIER_SESSION)
        assert not (await texts(client, numbers[1], after=-5)) & FIRST  # asking for "everything" changes nothing
        # Flagging a message is possible only within the ticket's conversation.
        other = await client.post("/api/review/flag", json={"ticket": numbers[1], "seq": 9})
        assert other.status == 404 and (await other.json())["error"] == "message_not_found"
        assert (await client.post("/api/review/flag", json={"ticket": numbers[1], "seq": 19})).status == 200

        client.session.cookie_jar.clear()
        await sign_in(client, "wang")  # the earlier ticket's agent sees his conversation, not li's later one
        his = await texts(client, numbers[0])
        assert FIRST <= his and not his & (SECOND | EARLIER_SESSION)

        client.session.cookie_jar.clear()
        await sign_in(client, "boss")  # a supervisor too sees a ticket's own conversation
        assert not (await texts(client, numbers[1])) & FIRST

    run(console_settings, console_db, scenario)
