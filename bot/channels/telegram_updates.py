"""Telegram webhook updates read into what the channel acts on.

The body is untrusted JSON: anything that is not a well-formed Update (no
integer `update_id`, a message without a chat, fields of the wrong type)
raises `InvalidUpdate`, which the webhook answers with 400. Kinds of updates
the bot does not handle (channel posts, member changes, polls …) and edited
messages (the bot does not answer twice) come out as IGNORED.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict

TEXT = "text"
CALLBACK = "callback"
UNSUPPORTED = "unsupported"
IGNORED = "ignored"

#: Message content the bot cannot read → the `message_kind` Rasa is told.
#: Checked in order: an animation (GIF) also carries a `document`.
MEDIA_KINDS = (
    ("photo", "image"),
    ("voice", "voice"),
    ("audio", "voice"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "video"),
    ("document", "file"),
    ("sticker", "sticker"),
    ("location", "location"),
    ("venue", "location"),
)
#: Messages Telegram writes itself in a chat (not the user's words): ignored.
SERVICE_FIELDS = frozenset({
    "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo", "delete_chat_photo",
    "group_chat_created", "supergroup_chat_created", "channel_chat_created", "migrate_to_chat_id",
    "migrate_from_chat_id", "pinned_message", "message_auto_delete_timer_changed", "successful_payment",
    "connected_website", "write_access_allowed", "proximity_alert_triggered", "forum_topic_created",
    "forum_topic_closed", "forum_topic_reopened", "video_chat_started", "video_chat_ended",
    "video_chat_participants_invited", "video_chat_scheduled", "users_shared", "chat_shared",
})


class InvalidUpdate(ValueError):
    """The body is JSON but not a Telegram Update."""


@dataclass(frozen=True)
class Incoming:
    """One update, as the channel acts on it."""

    update_id: int
    kind: str
    chat_id: int | None = None
    text: str = ""
    message_kind: str | None = None
    callback_id: str | None = None
    #: The bot's message whose button was tapped (its keyboard is removed).
    message_id: int | None = None


def _object(value: Any, where: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidUpdate(f"{where} is not an object")
    return value


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidUpdate(f"{where} is not an integer")
    return value


def _optional_string(value: Any, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidUpdate(f"{where} is not a string")
    return value


def _chat_id(message: Dict[str, Any], where: str) -> int:
    return _integer(_object(message.get("chat"), f"{where}.chat").get("id"), f"{where}.chat.id")


def _from_message(update_id: int, message: Dict[str, Any]) -> Incoming:
    chat_id = _chat_id(message, "message")
    if message["chat"].get("type", "private") != "private":
        # Support is one to one: in a group everyone would share one conversation (and see its answers).
        return Incoming(update_id, IGNORED, chat_id)
    text = _optional_string(message.get("text"), "message.text")
    if text is not None:
        return Incoming(update_id, TEXT, chat_id, text=text)
    for field, kind in MEDIA_KINDS:
        if message.get(field) is not None:
            return Incoming(update_id, UNSUPPORTED, chat_id, message_kind=kind)
    if SERVICE_FIELDS.intersection(message):
        return Incoming(update_id, IGNORED, chat_id)
    return Incoming(update_id, UNSUPPORTED, chat_id, message_kind="other")


def _from_callback(update_id: int, query: Dict[str, Any]) -> Incoming:
    callback_id = _optional_string(query.get("id"), "callback_query.id")
    if not callback_id:
        raise InvalidUpdate("callback_query.id is missing")
    data = _optional_string(query.get("data"), "callback_query.data")
    message = query.get("message")
    if message is None:  # a button under an inline-mode message: the user's private chat
        sender = _object(query.get("from"), "callback_query.from")
        chat_id, message_id = _integer(sender.get("id"), "callback_query.from.id"), None
    else:
        message = _object(message, "callback_query.message")
        chat_id = _chat_id(message, "callback_query.message")
        message_id = _integer(message.get("message_id"), "callback_query.message.message_id")
    return Incoming(update_id, CALLBACK, chat_id, text=data or "", callback_id=callback_id, message_id=message_id)


def parse_update(body: Any) -> Incoming:
    """The update in a webhook body (a parsed JSON value); `InvalidUpdate` if it is none."""
    update = _object(body, "the body")
    update_id = _integer(update.get("update_id"), "update_id")
    if update.get("message") is not None:
        return _from_message(update_id, _object(update["message"], "message"))
    if update.get("callback_query") is not None:
        return _from_callback(update_id, _object(update["callback_query"], "callback_query"))
    return Incoming(update_id, IGNORED)
