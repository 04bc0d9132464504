"""The whole support loop as one function, for any user channel and any running stack.

A user gets stuck in a guide → ticket form → ticket and handoff (the bot pauses) → an agent of the console
claims it (a second one cannot) and replies → the user receives the reply on their channel → the user
answers and the agent sees it → the agent resolves → the bot asks for a rating → the rating is stored.

It runs against the processes of `running_stack` (tests/e2e/test_handoff_loop.py, the callback channel)
and against the containers of deploy/compose.yml (tests/e2e/compose_journey.py, the widget through nginx).
"""
from __future__ import annotations

import re
from typing import List, Protocol


class ChannelUser(Protocol):
    def say(self, text: str) -> List[str]:
        """Sends `text`; the bot's answers to it (none while an agent has the conversation)."""

    def pushed(self, count: int) -> List[str]:
        """The messages sent to the user outside a turn (an agent's), waiting until `count` have come."""


def stuck_user_to_agent_and_back_to_a_rating(user: ChannelUser, agents: tuple, chat) -> str:
    """The loop; `agents` are two signed-in ConsoleAgents (小李 first), `chat` reads the domain's responses.

    Returns the ticket number.
    """
    first_agent, second_agent = agents

    # Stuck: the guide's three steps do not help.
    assert user.say("提现三天了还没到账")[0] == chat.response("utter_guide_withdraw_not_arrived_intro")
    user.say("没解决")
    user.say("还是没有")
    assert user.say("还是没到")[-1] == chat.response("utter_guide_exhausted")

    # The ticket form asks only what it does not know (the description is the first message).
    assert user.say("好的") == chat.responses("utter_handoff_start", "utter_ask_ticket_contact")
    assert user.say("12345") == chat.responses("utter_ticket_contact_invalid", "utter_ask_ticket_contact")
    assert user.say("13812345678") == chat.responses("utter_ask_ticket_txn_time")
    assert user.say("前天上午10点") == chat.responses("utter_ask_ticket_amount")
    queued = user.say("五百块")
    assert len(queued) == 1 and "您排在第 1 位" in queued[0]
    number = re.search(r"OK-\d{8}-\d{4}", queued[0]).group()

    # Paused: the bot says nothing, the message is recorded.
    assert user.say("请快一点") == []

    waiting = first_agent.get("/api/queue")["waiting"]
    assert [t["number"] for t in waiting] == [number]
    assert waiting[0]["priority"] == "high" and waiting[0]["category"] == "withdraw_not_arrived"
    ticket = first_agent.get(f"/api/tickets/{number}")["ticket"]
    # Not claimed yet: the contact is masked; the agent who claims it sees it whole.
    assert ticket["amount"] == "500.00" and ticket["contact_phone"] == "138****5678"
    assert ticket["txn_time"] == "前天上午10点" and ticket["description"] == "提现三天了还没到账"
    tried = [s["label"] for s in ticket["steps_tried"]]
    assert tried == ["确认是否超过1-3个工作日", "查看资金记录中的状态", "核对银行卡信息"]

    # The agent claims it (a second agent cannot) and the user is told who it is.
    assert first_agent.post(f"/api/tickets/{number}/claim")["delivered"] is True
    refused = second_agent.post(f"/api/tickets/{number}/claim", status=409)
    assert refused["error"] == "already_claimed"
    assert first_agent.get(f"/api/tickets/{number}")["ticket"]["contact_phone"] == "13812345678"
    joined = user.pushed(1)
    assert len(joined) == 1 and "小李" in joined[0] and "工号KF" in joined[0]

    # The agent's reply reaches the user on their channel.
    first_agent.post(f"/api/tickets/{number}/reply", {"text": "您好，我帮您查一下这笔提现。"})
    assert user.pushed(1) == ["您好，我帮您查一下这笔提现。"]
    first_agent.post(f"/api/tickets/{number}/notes", {"body": "银行处理中，已催"})
    assert user.pushed(0) == []  # notes are internal

    # The user answers; the bot stays silent; the agent sees it in the transcript.
    assert user.say("好的，谢谢") == []
    lines = first_agent.get(f"/api/tickets/{number}/transcript")["messages"]
    said = [(line["role"], line["text"]) for line in lines]
    assert ("user", "请快一点") in said and ("user", "好的，谢谢") in said
    assert ("agent", "您好，我帮您查一下这笔提现。") in said
    assert said.index(("agent", "您好，我帮您查一下这笔提现。")) < said.index(("user", "好的，谢谢"))

    # Resolve: the bot is back and asks for a rating, which is stored.
    first_agent.post(f"/api/tickets/{number}/resolve")
    assert user.pushed(2) == chat.responses("utter_handback", "utter_ask_rating_score")
    assert user.say("5") == chat.responses("utter_ask_rating_comment")
    assert user.say("处理得很快") == chat.responses("utter_rating_thanks")
    rated = first_agent.get(f"/api/tickets/{number}")["ticket"]
    assert rated["status"] == "resolved"
    assert rated["rating"] == {"score": 5, "comment": "处理得很快"}

    # The bot answers normally again, and the user can look the ticket up.
    status = user.say(f"查询工单 {number}")
    assert len(status) == 1 and number in status[0] and "已解决" in status[0]
    return number
