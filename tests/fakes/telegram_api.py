"""A local stand-in for Telegram's Bot API, and the updates Telegram would POST.

`FakeTelegramAPI` speaks the real API's shape on 127.0.0.1 (a thread of its
own, a free port): `POST /bot<token>/<method>` with a JSON, urlencoded or
multipart body, answered with `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": ..., "description": ...}`. It records what the
bot did, so tests assert on it:

    api = FakeTelegramAPI()                   # OKPAY_TELEGRAM_API_URL=api.url, OKPAY_TELEGRAM_TOKEN=api.token
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    ...
    [reply] = api.wait_for(42, 1)             # sendMessage bodies for chat 42
    api.calls                                 # ["sendMessage", "sendMessage", ...]
    api.close()

The module's `text_update(chat_id, text)`, `callback_update(chat_id, data)`,
`photo_update(chat_id)` … build webhook updates (also reachable as methods
of the fake; there `callback_update` points at the latest message sent to
the chat, as a real button press would).
"""
from __future__ import annotations

import itertools
import json
import re
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Tuple
from urllib.parse import parse_qsl

DEFAULT_TOKEN = "123456789:TEST-fake-telegram-token"
Body = Dict[str, Any]
Answer = Tuple[int, Body]

#: Fields the Bot API takes as JSON-serialised strings in form bodies.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "entities", "caption_entities", "reply_parameters"}
_INTEGER_FIELDS = {"chat_id", "message_id", "reply_to_message_id", "max_connections", "cache_time"}
_BOOLEAN_FIELDS = {"show_alert", "drop_pending_updates", "disable_notification", "disable_web_page_preview",
                   "protect_content"}
_INTEGER = re.compile(r"-?\d+")
_update_ids = itertools.count(100_000)
_user_message_ids = itertools.count(1)


def _value(key: str, value: Any) -> Any:
    """A form field as the API reads it: JSON fields parsed, ids and flags typed, text left alone."""
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in _INTEGER_FIELDS and _INTEGER.fullmatch(value):
        return int(value)
    if key in _BOOLEAN_FIELDS:
        return value.lower() == "true"
    return value


def parse_body(content_type: str, raw: bytes) -> Body:
    """A request body (JSON, urlencoded or multipart form) as a dict of typed values."""
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
    elif content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        body = {
            part.get_param("name", header="content-disposition"): part.get_payload(decode=True).decode("utf-8")
            for part in message.iter_parts()
        }
    else:
        body = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return {key: _value(key, value) for key, value in body.items()}


def _error(status: int, description: str, retry_after: int | None = None) -> Answer:
    answer: Body = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        answer["parameters"] = {"retry_after": retry_after}
    return status, answer


def _chat(chat_id: int, kind: str = "private") -> Body:
    chat: Body = {"id": chat_id, "type": kind}
    chat.update({"first_name": "Test", "username": f"user{abs(chat_id)}"} if kind == "private" else {"title": "Test"})
    return chat


def _user(user_id: int) -> Body:
    return {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "zh-hans"}


# Updates, as Telegram POSTs them to the webhook --------------------------------


def next_update_id() -> int:
    return next(_update_ids)


def message_update(chat_id: int, update_id: int | None = None, field: str = "message", **content: Any) -> Body:
    """An update whose `field` ("message", "edited_message", "channel_post") holds a message with `content`."""
    kind = "channel" if field in ("channel_post", "edited_channel_post") else "private" if chat_id > 0 else "group"
    message: Body = {"message_id": next(_user_message_ids), "chat": _chat(chat_id, kind), "date": int(time.time())}
    if kind != "channel":
        message["from"] = _user(chat_id if chat_id > 0 else 777)
    message.update(content)
    return {"update_id": next_update_id() if update_id is None else update_id, field: message}


def text_update(chat_id: int, text: str, update_id: int | None = None) -> Body:
    """The user typed `text` (a "/command" carries its bot_command entity, as Telegram sends it)."""
    content: Body = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return message_update(chat_id, update_id, **content)


def edited_update(chat_id: int, text: str, update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, field="edited_message", text=text, edit_date=int(time.time()))


def callback_update(chat_id: int, data: str, update_id: int | None = None, message_id: int = 1,
                    query_id: str | None = None) -> Body:
    """The user tapped an inline button whose callback_data is `data`, under the bot's message `message_id`."""
    return {
        "update_id": next_update_id() if update_id is None else update_id,
        "callback_query": {
            "id": query_id or f"cbq{next_update_id()}",
            "from": _user(chat_id),
            "chat_instance": f"-{abs(chat_id)}00",
            "data": data,
            "message": {"message_id": message_id, "from": {"id": 123456789, "is_bot": True, "first_name": "OKPay"},
                        "chat": _chat(chat_id), "date": int(time.time()), "text": "..."},
        },
    }


def _file(kind: str, **fields: Any) -> Body:
    return {"file_id": f"{kind}-file-id", "file_unique_id": f"{kind}-unique", **fields}


def photo_update(chat_id: int, update_id: int | None = None) -> Body:
    sizes = [_file("photo", width=90, height=90, file_size=1200), _file("photo", width=800, height=800, file_size=64000)]
    return message_update(chat_id, update_id, photo=sizes, caption="截图")


def voice_update(chat_id: int, update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, voice=_file("voice", duration=3, mime_type="audio/ogg"))


def video_update(chat_id: int, update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, video=_file("video", width=640, height=360, duration=5))


def document_update(chat_id: int, update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, document=_file("document", file_name="账单.pdf", mime_type="application/pdf"))


def sticker_update(chat_id: int, update_id: int | None = None) -> Body:
    sticker = _file("sticker", width=512, height=512, is_animated=False, is_video=False, type="regular", emoji="👍")
    return message_update(chat_id, update_id, sticker=sticker)


def location_update(chat_id: int, update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, location={"latitude": 31.2304, "longitude": 121.4737})


def contact_update(chat_id: int, update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, contact={"phone_number": "+8613800000000", "first_name": "Test"})


def channel_post_update(chat_id: int, text: str = "post", update_id: int | None = None) -> Body:
    return message_update(chat_id, update_id, field="channel_post", text=text)


def my_chat_member_update(chat_id: int, update_id: int | None = None) -> Body:
    """The user blocked the bot (Telegram tells the bot with this update)."""
    member = {"user": {"id": 123456789, "is_bot": True, "first_name": "OKPay"}}
    return {"update_id": next_update_id() if update_id is None else update_id,
            "my_chat_member": {"chat": _chat(chat_id), "from": _user(chat_id), "date": int(time.time()),
                               "old_chat_member": {**member, "status": "member"},
                               "new_chat_member": {**member, "status": "kicked", "until_date": 0}}}


class FakeTelegramAPI:
    """The Bot API on 127.0.0.1; see the module's docstring."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.bot_user: Body = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "OKPay",
                               "username": "okpay_test_bot"}
        #: sendMessage bodies that succeeded (chat_id, text, reply_markup … typed).
        self.sent: List[Body] = []
        #: The Message objects answered for them (message_id, chat, date, text).
        self.messages: List[Body] = []
        #: Every method called, in order, failed calls included.
        self.calls: List[str] = []
        #: Every (method, body), in order.
        self.requests: List[Tuple[str, Body]] = []
        #: The latest setWebhook parameters (None before, and after deleteWebhook).
        self.webhook: Body | None = None
        self._failures: Dict[str, List[Answer]] = {}
        self._message_ids = itertools.count(1)
        self._changed = threading.Condition()
        self._methods: Dict[str, Callable[[Body], Answer]] = {
            "getMe": lambda body: (200, {"ok": True, "result": self.bot_user}),
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-telegram-api",
                                        daemon=True)
        self._thread.start()

    # What tests use --------------------------------------------------------

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        """The next call of `method` fails as Telegram would (e.g. 403 "Forbidden: bot was blocked by the user")."""
        with self._changed:
            self._failures.setdefault(method, []).append(_error(status, description, retry_after))

    def wait_for(self, chat_id: int | str, count: int = 1, timeout: float = 5.0) -> List[Body]:
        """The sendMessage bodies for `chat_id`, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [body for body in self.sent if str(body.get("chat_id")) == str(chat_id)]
                remaining = deadline - time.monotonic()
                if len(found) >= count:
                    return found
                if remaining <= 0:
                    raise AssertionError(f"expected {count} message(s) to chat {chat_id} within {timeout}s, got {found}")
                self._changed.wait(remaining)

    def bodies(self, method: str) -> List[Body]:
        """The bodies `method` was called with, in order."""
        with self._changed:
            return [body for name, body in self.requests if name == method]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> FakeTelegramAPI:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # Update builders (the module's functions) ---------------------------------

    message_update = staticmethod(message_update)
    text_update = staticmethod(text_update)
    edited_update = staticmethod(edited_update)
    photo_update = staticmethod(photo_update)
    voice_update = staticmethod(voice_update)
    video_update = staticmethod(video_update)
    document_update = staticmethod(document_update)
    sticker_update = staticmethod(sticker_update)
    location_update = staticmethod(location_update)
    contact_update = staticmethod(contact_update)
    channel_post_update = staticmethod(channel_post_update)
    my_chat_member_update = staticmethod(my_chat_member_update)


    def callback_update(self, chat_id: int, data: str, update_id: int | None = None,
                        message_id: int | None = None) -> Body:
        """A tap on a button of the latest message sent to `chat_id` (or of `message_id`)."""
        if message_id is None:
            with self._changed:
                ids = [m["message_id"] for m in self.messages if m["chat"]["id"] == chat_id]
            message_id = ids[-1] if ids else 1
        return callback_update(chat_id, data, update_id, message_id)

    # The server side ----------------------------------------------------------

    def answer(self, token: str, method: str, body: Body) -> Answer:
        """What the API answers to `method` called with `body`."""
        if token != self.token:
            return _error(401, "Unauthorized")
        name = next((known for known in self._methods if known.lower() == method.lower()), method)
        with self._changed:
            self.calls.append(name)
            self.requests.append((name, body))
            failures = self._failures.get(name)
            if failures:
                answer = failures.pop(0)
            elif name in self._methods:
                answer = self._methods[name](body)
            else:
                answer = _error(404, "Not Found: method not found")
            self._changed.notify_all()
        return answer

    def _send_message(self, body: Body) -> Answer:
        if "chat_id" not in body:
            return _error(400, "Bad Request: chat_id is empty")
        if not str(body.get("text") or "").strip():
            return _error(400, "Bad Request: message text is empty")
        if body.get("parse_mode") not in (None, "", "HTML", "Markdown", "MarkdownV2"):
            return _error(400, f"Bad Request: unsupported parse_mode {body['parse_mode']}")
        chat_id = body["chat_id"]
        message: Body = {"message_id": next(self._message_ids), "from": self.bot_user,
                         "chat": _chat(chat_id) if isinstance(chat_id, int) else {"id": chat_id, "type": "channel"},
                         "date": int(time.time()), "text": body["text"]}
        if isinstance(body.get("reply_markup"), dict):
            message["reply_markup"] = body["reply_markup"]
        self.sent.append(body)
        self.messages.append(message)
        return 200, {"ok": True, "result": message}

    def _answer_callback_query(self, body: Body) -> Answer:
        if not body.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return 200, {"ok": True, "result": True}

    def _edit_message_reply_markup(self, body: Body) -> Answer:
        sent = next((m for m in self.messages if m["message_id"] == body.get("message_id")
                     and str(m["chat"]["id"]) == str(body.get("chat_id"))), None)
        if sent is None:
            return _error(400, "Bad Request: message to edit not found")
        sent["reply_markup"] = body.get("reply_markup") or {"inline_keyboard": []}
        return 200, {"ok": True, "result": sent}

    def _set_webhook(self, body: Body) -> Answer:
        if "url" not in body:
            return _error(400, "Bad Request: parameter \"url\" is required")
        self.webhook = dict(body)
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _delete_webhook(self, body: Body) -> Answer:
        self.webhook = None
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _webhook_info(self, body: Body) -> Answer:
        webhook = self.webhook or {}
        info = {"url": webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
        if webhook.get("allowed_updates"):
            info["allowed_updates"] = webhook["allowed_updates"]
        return 200, {"ok": True, "result": info}


def _handler(api: FakeTelegramAPI) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?", 1)[0])
            if match is None:
                status, answer = _error(404, "Not Found")
            else:
                try:
                    body = parse_body(self.headers.get("Content-Type", ""), raw)
                except (ValueError, UnicodeDecodeError):
                    status, answer = _error(400, "Bad Request: can't parse request body")
                else:
                    status, answer = api.answer(match.group(1), match.group(2), body)
            payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, *_: Any) -> None:
            pass

    return Handler
