"""Forgetting a user while Rasa runs and keeps their tracker in memory (`python -m bot.privacy.forget`).

The running Rasa process served the conversation and keeps its tracker
(`CachedSQLTrackerStore`); a read without a turn (`/predict`, as a widget's
history or a typed number's button lookup) leaves it up to date with no row of
its own pending. After forget, the user's next message must start from
nothing: the bot no longer knows the phone number (the ticket form asks for
it again) and nothing of it is stored again.
"""
from __future__ import annotations

import asyncio
import json

import pytest
import requests
from sqlalchemy import create_engine, text

from bot.privacy.forget import forget

pytestmark = pytest.mark.e2e

PHONE = "13812345678"


def stored(stack, conversation: str) -> list:
    engine = create_engine(stack.settings.conversations_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                                  {"s": conversation}).all()
    engine.dispose()
    return [json.loads(data) for (data,) in rows]


def test_a_forgotten_user_is_not_remembered_by_the_running_rasa(stack, chat):
    chat.say(f"我的电话是{PHONE}")
    assert chat.tracker()["slots"]["phone"] == PHONE  # the bot knows it now
    predicted = requests.post(f"{stack.rasa_url}/conversations/{chat.conversation}/predict",
                              headers=stack.api_headers(), timeout=30)
    assert predicted.status_code == 200, predicted.text

    forgotten = asyncio.run(forget(stack.settings, [chat.conversation]))
    assert forgotten.tracker_events > 0 and stored(stack, chat.conversation) == []

    asked = chat.texts("转人工")
    assert chat.response("utter_ask_ticket_contact") in asked, asked  # it does not know the phone any more
    assert PHONE not in json.dumps(stored(stack, chat.conversation), ensure_ascii=False)
    assert PHONE not in json.dumps(chat.tracker(), ensure_ascii=False)
