"""A terminal chat with the running assistant.

Through the REST channel by default. With a `CallbackReceiver` (what
`scripts/run` uses) it talks through the callback channel instead, so messages
sent later, such as an agent's reply from the console, appear as they come.
Buttons are shown as numbered options; typing the number picks the option.
Ctrl-D, Ctrl-C or /quit leaves.
"""
from __future__ import annotations

import sys
import threading
import uuid
from typing import Any, Dict, List, TextIO

import requests

from bot.cli.callback_receiver import CallbackReceiver

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


class PushedMessages:
    """Prints what the callback channel pushes for one sender.

    While a message of ours is on its way the answers are held and printed
    after it, in order; at other times (an agent's reply) they are printed at
    once, with the prompt again.
    """

    def __init__(self, sender: str, out: TextIO):
        self.sender, self.out = sender, out
        self.buttons: List[Dict[str, str]] = []
        self._held: List[Dict[str, Any]] | None = None
        self._lock = threading.Lock()

    def __call__(self, message: Dict[str, Any]) -> None:
        if message.get("recipient_id") != self.sender:
            return
        with self._lock:
            if self._held is not None:
                self._held.append(message)
                return
            self.out.write("\n")
            self.buttons = render([message], self.out) or self.buttons
            self.out.write("you > ")
            self.out.flush()

    def hold(self) -> None:
        with self._lock:
            self._held = []

    def release(self) -> None:
        with self._lock:
            held, self._held = self._held or [], None
            if held:
                self.buttons = render(held, self.out)


def send_via_callback(rasa_url: str, sender: str, text: str, timeout: float = 30) -> None:
    """Sends `text`; the answers arrive at the callback receiver before this returns."""
    response = requests.post(
        f"{rasa_url}/webhooks/callback/webhook",
        json={"sender": sender, "message": text},
        timeout=timeout,
    )
    response.raise_for_status()


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
    rasa_url: str,
    sender: str | None = None,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    receiver: CallbackReceiver | None = None,
) -> None:
    sender = sender or f"terminal-{uuid.uuid4().hex[:12]}"
    pushed = PushedMessages(sender, out)
    if receiver is not None:
        receiver.on_message = pushed
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
        if receiver is not None:
            buttons = pushed.buttons
        text = resolve_choice(typed, buttons)
        try:
            if receiver is None:
                buttons = render(send(rasa_url, sender, text), out)
                continue
            pushed.hold()
            try:
                send_via_callback(rasa_url, sender, text)
            finally:
                pushed.release()
        except requests.RequestException as error:
            out.write(f"(cannot reach the assistant: {error})\n")
