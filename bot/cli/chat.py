"""A terminal chat with the running assistant, through its REST channel.

Buttons are shown as numbered options; typing the number picks the option.
Ctrl-D, Ctrl-C or /quit leaves.
"""
from __future__ import annotations

import sys
import uuid
from typing import Any, Dict, List, TextIO

import requests

QUIT_WORDS = {"/quit", "/exit", "/stop"}


def send(rasa_url: str, sender: str, text: str, timeout: float = 30) -> List[Dict[str, Any]]:
    """Sends `text` as `sender` and returns the assistant's messages."""
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()


def render(messages: List[Dict[str, Any]], out: TextIO) -> List[Dict[str, str]]:
    """Prints the assistant's messages and returns the buttons of the last one."""
    buttons: List[Dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            out.write(f"bot > {message['text']}\n")
        buttons = message.get("buttons") or []
        for number, button in enumerate(buttons, start=1):
            out.write(f"      {number}) {button.get('title')}\n")
    out.flush()
    return buttons


def resolve_choice(typed: str, buttons: List[Dict[str, str]]) -> str:
    """A number picks that button's payload; anything else is sent as typed."""
    if typed.isdigit() and 1 <= int(typed) <= len(buttons):
        return buttons[int(typed) - 1]["payload"]
    return typed


def chat(
    rasa_url: str, sender: str | None = None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    sender = sender or f"terminal-{uuid.uuid4().hex[:12]}"
    out.write("Connected to the OKPay assistant. Type a message; a number picks a button; /quit leaves.\n")
    buttons: List[Dict[str, str]] = []
    while True:
        out.write("you > ")
        out.flush()
        line = stdin.readline()
        if not line:
            break
        typed = line.strip()
        if not typed:
            continue
        if typed in QUIT_WORDS:
            break
        try:
            replies = send(rasa_url, sender, resolve_choice(typed, buttons))
        except requests.RequestException as error:
            out.write(f"(cannot reach the assistant: {error})\n")
            continue
        buttons = render(replies, out)
