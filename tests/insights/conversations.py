"""Conversations written to a tracker store's `events` table the way Rasa writes them (its own SQLTrackerStore)."""
from __future__ import annotations

import asyncio
import os
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any, Dict, List

from bot.insights.period import Period

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

TZ = "Asia/Shanghai"
DAY = date(2026, 11, 20)
PERIOD = Period.from_days(DAY, DAY, TZ)
GUIDE_QUESTION = "utter_ask_guide_helped"
_ids = count(1)


def at(hours: float) -> float:
    """A timestamp `hours` after the start of PERIOD (negative: before it)."""
    return PERIOD.start_ts + hours * 3600


def user(text: str, intent: str, confidence: float, hours: float, message_id: str | None = None,
         entities: List[Dict[str, Any]] | None = None) -> Any:
    from rasa.shared.core.events import UserUttered

    return UserUttered(text, intent={"name": intent, "confidence": confidence}, entities=entities or [],
                       timestamp=at(hours), message_id=message_id or f"m{next(_ids)}", input_channel="test")


def bot(text: str, utter_action: str, hours: float) -> Any:
    from rasa.shared.core.events import BotUttered

    return BotUttered(text, metadata={"utter_action": utter_action}, timestamp=at(hours))


def action(name: str, hours: float) -> Any:
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name, timestamp=at(hours))


def pause(hours: float) -> Any:
    from rasa.shared.core.events import ConversationPaused

    return ConversationPaused(timestamp=at(hours))


def resume(hours: float) -> Any:
    from rasa.shared.core.events import ConversationResumed

    return ConversationResumed(timestamp=at(hours))


def sample_conversations() -> Dict[str, List[Any]]:
    """One conversation per reason (and what must not be collected), on PERIOD's day."""
    return {
        # Unsure: a low confidence and a fallback; payloads, EXTERNAL_ intents and sure messages are not.
        "widget:u:a": [
            user("你好", "greet", 0.99, 1),
            user("我的钱怎么还没到账啊", "withdraw_not_arrived", 0.45, 1.1, "low"),
            user("asdkj 啥", "nlu_fallback", 0.3, 1.2, "fallback"),
            user("/deny", "deny", 0.2, 1.3),
            user("EXTERNAL: EXTERNAL_handoff_resolved", "EXTERNAL_handoff_resolved", 0.1, 1.4),
            user("昨天没到的", "withdraw_not_arrived", 0.5, -2),  # before the period
            user("明天再说", "goodbye", 0.55, 24.5),  # after it
        ],
        # A guide that did not help: the message that opened it, once, for two 没解决.
        "wechat:o1": [
            user("付款一直失败", "payment_failed", 0.95, 2, "opened"),
            bot("先检查网络", "utter_guide_payment_failed_1", 2.01), bot("这样能解决吗？", GUIDE_QUESTION, 2.02),
            user("/deny", "deny", 1.0, 2.1),
            bot("再试试重启", "utter_guide_payment_failed_2", 2.11), bot("这样能解决吗？", GUIDE_QUESTION, 2.12),
            user("没解决", "deny", 0.97, 2.2),
        ],
        # 不用了 to "anything else?" is no 没解决.
        "telegram:9": [
            user("谢谢你", "thank", 0.99, 3),
            bot("还有其他需要帮忙的吗？", "utter_anything_else", 3.01),
            user("不用了", "deny", 0.95, 3.1),
        ],
        # A handoff: the message before 转人工; form answers and messages to the agent are not.
        "telegram:5": [
            user("你们这个扣费我看不懂", "unknown_charge", 0.9, 4, "before"),
            user("转人工", "human_handoff", 0.99, 4.1),
            action("action_prepare_ticket", 4.11),
            user("13812345678", "out_of_scope", 0.9, 4.2),
            pause(4.3),
            user("你好在吗", "greet", 0.3, 4.4),
            resume(4.5),
        ],
    }


def write(path: Path, conversations: Dict[str, List[Any]]) -> str:
    """Saves each conversation with Rasa's SQLTrackerStore into the SQLite file `path`; returns its URL."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for sender_id, events in conversations.items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender_id, events)))
    store.engine.dispose()
    return f"sqlite:///{path}"


def events_as_api(events: List[Any]) -> List[Dict[str, Any]]:
    """The events as Rasa's HTTP API returns a tracker's events."""
    return [event.as_dict() for event in events]
