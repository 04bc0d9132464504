"""A user who writes a card number, an ID number, a password and a code: warned, and no trace of them anywhere."""
from __future__ import annotations

import re

import requests
from sqlalchemy import create_engine, text

from tests.production.conftest import form_until_description, stored_events

CARD = "6222021234567890128"  # passes Luhn
ID_NUMBER = "11010519491231002X"  # valid checksum
PASSWORD = "Okpay#2026pw"
CODE = "482913"


def test_secrets_are_masked_before_anything_stores_or_logs_them(replicated, user, domain):
    warning = domain["responses"]["utter_secret_warning"][0]["text"]
    form_until_description(user, domain)
    replies = user.texts(f"付款一直失败，登录密码是{PASSWORD}")
    assert warning in replies and re.search(r"OK-\d{8}-\d{4}", " ".join(replies)), replies
    assert warning in user.texts(f"付款失败了，我的卡号是 {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}")
    assert warning in user.texts(f"身份证号{ID_NUMBER}，密码是{PASSWORD}")
    assert warning in user.texts(f"验证码 {CODE}")

    secrets = [CARD, CARD[:4] + " " + CARD[4:8], ID_NUMBER, PASSWORD, CODE]
    # Tracker store (PostgreSQL): events, as stored.
    stored = str(stored_events(create_engine(replicated.settings.tracker_url), user.conversation))
    assert "[已隐藏]" in stored
    # Tickets, their history, everything in the ticket database.
    engine = create_engine(replicated.settings.ticket_database_url)
    with engine.connect() as connection:
        tickets = str(connection.execute(text("SELECT * FROM tickets")).all())
        history = str(connection.execute(text("SELECT * FROM ticket_events")).all())
    engine.dispose()
    # Rasa's HTTP API (what the console reads) and every process's log.
    api = requests.get(f"{replicated.rasa_url}/conversations/{user.conversation}/tracker",
                       headers=replicated.api_headers(), timeout=10).text
    logs = "".join(path.read_text(encoding="utf-8", errors="replace")
                   for path in replicated.settings.resolve(replicated.settings.log_dir).glob("*.log"))
    for secret in secrets:
        for where, content in (("tracker store", stored), ("tickets", tickets), ("ticket history", history),
                               ("HTTP API", api), ("logs", logs)):
            assert secret not in content, f"{secret!r} found in the {where}"
    assert "13812345678" in tickets and "付款一直失败" in tickets  # the ticket keeps what it needs
