"""A message that meets a failing store: processed again, or refused with an honest answer, never half-locked."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.runtime import message_guard
from bot.runtime.lock_store import FastInMemoryLockStore
from tests.runtime.conftest import RESPONSES

BUSY = RESPONSES["utter_service_busy"][0]["text"]


class BrokenLockStore(FastInMemoryLockStore):
    """The lock store of a replica whose Redis is down."""

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = 60) -> int:
        raise LockError("Error while acquiring lock. Error:\nConnection refused")


def message() -> UserMessage:
    return UserMessage("付款失败", CollectingOutputChannel(), "user-1")


def handle(agent, msg, pauses=(0.0, 0.0)):
    return asyncio.run(message_guard.handle_message(agent, msg, pauses))


def connection_lost() -> OperationalError:
    return OperationalError("SELECT", {}, Exception("server closed the connection unexpectedly"))


def test_without_the_lock_the_message_is_not_processed_and_the_user_is_told(make_agent):
    agent = make_agent(BrokenLockStore(), lambda attempt: [{"text": "ok"}])
    msg = message()
    assert handle(agent, msg) is None
    assert agent.processor.attempts == 0
    assert [m["text"] for m in msg.output_channel.messages] == [BUSY]


def test_a_lost_database_connection_is_retried_until_it_is_back(make_agent):
    def behaviour(attempt):
        if attempt < 3:
            raise connection_lost()
        return [{"text": "ok"}]

    agent = make_agent(FastInMemoryLockStore(), behaviour)
    msg = message()
    assert handle(agent, msg, pauses=(0.0, 0.0, 0.0)) == [{"text": "ok"}]
    assert agent.processor.attempts == 3
    assert msg.output_channel.messages == []


def test_a_database_that_stays_down_gets_an_honest_answer(make_agent):
    def behaviour(attempt):
        raise connection_lost()

    agent = make_agent(FastInMemoryLockStore(), behaviour)
    msg = message()
    assert handle(agent, msg, pauses=(0.0, 0.0)) is None
    assert agent.processor.attempts == 3
    assert [m["text"] for m in msg.output_channel.messages] == [BUSY]


def test_a_database_error_that_is_a_bug_is_not_retried(make_agent):
    def behaviour(attempt):
        raise ProgrammingError("SELECT", {}, Exception("syntax error"))

    agent = make_agent(FastInMemoryLockStore(), behaviour)
    with pytest.raises(ProgrammingError):
        handle(agent, message())
    assert agent.processor.attempts == 1


def test_the_lock_is_given_back_even_when_processing_fails(make_agent):
    store = FastInMemoryLockStore()

    def behaviour(attempt):
        raise RuntimeError("bug")

    agent = make_agent(store, behaviour)
    with pytest.raises(RuntimeError):
        handle(agent, message())
    assert store.get_lock("user-1") is None


def test_a_turn_saved_before_the_connection_dropped_is_not_run_again(make_agent):
    """The commit went through but its acknowledgement did not: the stored answers are sent again."""
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    msg = message()

    def behaviour(attempt):
        raise connection_lost()

    agent = make_agent(FastInMemoryLockStore(), behaviour)
    agent.tracker_store.tracker = DialogueStateTracker.from_events("user-1", [
        UserUttered("付款失败", message_id=msg.message_id),
        BotUttered("工单 OK-20261122-0001 已建好", data={"buttons": [{"title": "好", "payload": "/affirm"}]}),
    ])
    assert handle(agent, msg, pauses=(0.0, 0.0)) is None
    assert agent.processor.attempts == 1
    assert [(m["text"], m.get("buttons")) for m in msg.output_channel.messages] == [
        ("工单 OK-20261122-0001 已建好", [{"title": "好", "payload": "/affirm"}])]


def resent(request_id: str) -> UserMessage:
    """The message as the balancer sends it again: a new Rasa message id, the same request id."""
    return UserMessage("付款失败", CollectingOutputChannel(), "user-1",
                       metadata={message_guard.REQUEST_ID: request_id})


def test_a_message_resent_after_its_replica_died_is_not_run_twice(make_agent):
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = make_agent(FastInMemoryLockStore(), lambda attempt: [{"text": "again"}])
    agent.tracker_store.tracker = DialogueStateTracker.from_events("user-1", [
        UserUttered("付款失败", message_id="first-try", metadata={message_guard.REQUEST_ID: "req-1"}),
        BotUttered("第1步：先看网络。"),
    ])
    msg = resent("req-1")
    assert handle(agent, msg) is None
    assert agent.processor.attempts == 0
    assert [m["text"] for m in msg.output_channel.messages] == ["第1步：先看网络。"]


def test_a_resent_message_is_found_after_many_turns_of_others_and_only_among_the_latest(make_agent):
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    def conversation(turns_after: int) -> DialogueStateTracker:
        events = [UserUttered("付款失败", message_id="first-try", metadata={message_guard.REQUEST_ID: "req-1"}),
                  BotUttered("第1步：先看网络。")]
        for turn in range(turns_after):
            events += [UserUttered(f"第{turn}句", message_id=f"m{turn}"), BotUttered("好的")]
        return DialogueStateTracker.from_events("user-1", events)

    latest = message_guard.RESENT_SEARCH_USER_MESSAGES - 1
    agent = make_agent(FastInMemoryLockStore(), lambda attempt: [{"text": "again"}])
    agent.tracker_store.tracker = conversation(latest)
    assert handle(agent, resent("req-1")) is None and agent.processor.attempts == 0
    agent = make_agent(FastInMemoryLockStore(), lambda attempt: [{"text": "新的回答"}])
    agent.tracker_store.tracker = conversation(latest + 1)  # too old to be a re-send: a new message
    assert handle(agent, resent("req-1")) == [{"text": "新的回答"}]


def test_a_resent_message_the_dead_replica_had_not_stored_is_processed(make_agent):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = make_agent(FastInMemoryLockStore(), lambda attempt: [{"text": "第1步"}])
    agent.tracker_store.tracker = DialogueStateTracker.from_events("user-1", [
        UserUttered("你好", message_id="earlier", metadata={message_guard.REQUEST_ID: "req-0"}),
    ])
    assert handle(agent, resent("req-1")) == [{"text": "第1步"}]
    assert agent.processor.attempts == 1


def test_a_first_delivery_is_not_checked_for_a_stored_turn_but_a_redelivery_is(make_agent):
    """WeChat and Telegram carry their delivery key as request id: read the tracker only on a redelivery."""
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = make_agent(FastInMemoryLockStore(), lambda attempt: [{"text": "第1步"}])
    agent.tracker_store.tracker = DialogueStateTracker.from_events("user-1", [
        UserUttered("付款失败", metadata={message_guard.REQUEST_ID: "telegram:1:7"}),
        BotUttered("第1步：先看网络。"),
    ])

    def delivery(redelivery: bool) -> UserMessage:
        return UserMessage("付款失败", CollectingOutputChannel(), "user-1", metadata={
            message_guard.REQUEST_ID: "telegram:1:7", message_guard.REDELIVERY: redelivery})

    redelivered = delivery(True)
    assert handle(agent, redelivered) is None and agent.processor.attempts == 0
    assert [m["text"] for m in redelivered.output_channel.messages] == ["第1步：先看网络。"]
    assert handle(agent, delivery(False)) == [{"text": "第1步"}] and agent.processor.attempts == 1


def test_the_turn_runs_marked_as_holding_its_conversations_lock_and_only_then(make_agent):
    from bot.runtime.turn_scope import hold_of

    holds = []
    agent = make_agent(FastInMemoryLockStore(), lambda attempt: holds.append(
        (hold_of("user-1"), hold_of("someone-else"))) or [{"text": "好的"}])
    handle(agent, message())
    handle(agent, message())
    [(first, other), (second, _)] = holds
    assert first is not None and second is not None and first is not second and other is None
    assert hold_of("user-1") is None
