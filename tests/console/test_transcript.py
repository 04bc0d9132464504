"""The agent's view of a conversation, from tracker events."""
from bot.console.transcript import transcript


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
