import io

import requests

from bot.cli.chat import chat, render, resolve_choice

BUTTONS = [{"title": "解决了", "payload": "/affirm"}, {"title": "没解决", "payload": "/deny"}]


def test_a_number_picks_a_button():
    assert resolve_choice("2", BUTTONS) == "/deny"


def test_other_input_is_sent_as_typed():
    assert resolve_choice("3", BUTTONS) == "3"
    assert resolve_choice("还是不行", BUTTONS) == "还是不行"
    assert resolve_choice("1", []) == "1"


def test_render_numbers_the_buttons_of_the_last_message():
    out = io.StringIO()
    buttons = render([{"text": "第一步"}, {"text": "这样能解决吗？", "buttons": BUTTONS}], out)
    assert buttons == BUTTONS
    assert "bot > 第一步" in out.getvalue()
    assert "1) 解决了" in out.getvalue() and "2) 没解决" in out.getvalue()


def test_chat_sends_choices_and_stops_at_quit(monkeypatch):
    sent = []

    def fake_send(url, sender, text, timeout=30):
        sent.append(text)
        return [{"text": "这样能解决吗？", "buttons": BUTTONS}]

    monkeypatch.setattr("bot.cli.chat.send", fake_send)
    out = io.StringIO()
    chat("http://127.0.0.1:1", sender="s", stdin=io.StringIO("付款失败\n\n2\n/quit\nnot sent\n"), out=out)
    assert sent == ["付款失败", "/deny"]


def test_with_a_receiver_answers_and_later_pushes_are_printed():
    from bot.cli.callback_receiver import CallbackReceiver

    receiver = CallbackReceiver()
    posted = []

    def fake_rasa(url, sender, text, timeout=30):
        # Rasa's callback channel posts the answers before the webhook returns.
        posted.append(text)
        requests.post(receiver.url, json={"recipient_id": sender, "text": f"答：{text}", "buttons": BUTTONS})
        requests.post(receiver.url, json={"recipient_id": "someone-else", "text": "not mine"})

    class SlowInput(io.StringIO):
        """Lets an agent's message arrive while the user is typing the next line."""

        def readline(self, *args):
            line = super().readline(*args)
            if line.startswith("2"):
                requests.post(receiver.url, json={"recipient_id": "s", "text": "客服小李：您好"})
            return line

    import unittest.mock

    out = io.StringIO()
    try:
        with unittest.mock.patch("bot.cli.chat.send_via_callback", fake_rasa):
            chat("http://127.0.0.1:1", sender="s", stdin=SlowInput("付款失败\n2\n/quit\n"), out=out, receiver=receiver)
    finally:
        receiver.close()
    text = out.getvalue()
    assert posted == ["付款失败", "/deny"]  # "2" picked the pushed message's second button
    assert "bot > 答：付款失败" in text and "bot > 客服小李：您好" in text
    assert "not mine" not in text
