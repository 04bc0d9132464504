import io

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
