"""What never reaches a log line: users' texts, secrets, tokens in URLs, raw conversation ids.

`LogGuard` is a filter on the one handler every process logs through
(`bot.logs.setup`), so it sees every record, ours and every library's, at
every level. It rewrites each record in place, in this order:

1. Records known to carry a user's text or slot values get a fixed message
   instead (`KNOWN_TEXT_RECORDS`: Rasa's and rasa-sdk's debug lines that quote
   a message, its events or its slots). Rasa's structured (structlog) lines
   keep their event name and a few fields that are names, never values
   (`STRUCTLOG_KEPT_FIELDS`): at DEBUG they carry the message's text, its
   parse data and the slots.
2. The scope's private strings (`bot.logs.context`: the turn's message as the
   user wrote it, the raw conversation id) are replaced wherever they appear,
   and every conversation id of our channels (`rest:…`, `wechat:…`, …) becomes
   `conv:<hash>`, the hash of the `conversation` field.
3. Secrets: URLs lose their query string, fragment and password, Telegram's
   `/bot<id>:<token>` path its token; `token=…`, `secret=…`, `Bearer …`, JWTs
   and Telegram bot tokens become `***`, and so does the value of every
   secret setting; then the project's redaction (`bot.privacy.redact`) hides
   card numbers, passwords, verification codes and ID numbers as in chats.
4. Length: a message is cut at `MAX_EVENT_CHARS`, a traceback keeps its last
   `MAX_ERROR_CHARS` (where the error is).

Exceptions go through the same steps: their traceback is formatted here,
cleaned, and kept as the record's `exc_text` (its `exc_info` dropped), since
an exception's message may quote a text, a URL with a token, or a secret.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Callable, Iterable, List, Pattern, Tuple

from bot.logs.context import LogScope, current_scope
from bot.logs.hashing import conversation_hash

MAX_EVENT_CHARS = 2000
MAX_ERROR_CHARS = 8000
#: Private strings shorter than this are not searched for (a button's "1" or 好 would blank every line);
#: they carry no secret the redaction does not find.
MIN_PRIVATE_CHARS = 4
MASK = "***"
TEXT_REMOVED = "[text not logged]"

#: Lines of Rasa and rasa-sdk that quote a user's text, an event list or slot values: (pattern, message instead).
KNOWN_TEXT_RECORDS: Tuple[Tuple[Pattern[str], str], ...] = tuple((re.compile(pattern, re.S), replacement) for
                                                                   pattern, replacement in (
    (r"Received user message\b.*", "Received user message " + TEXT_REMOVED),
    (r"Received NLG response: .*", "Received NLG response " + TEXT_REMOVED),
    (r"Validating extracted slots: .*", "Validating extracted slots " + TEXT_REMOVED),
    (r"Contents of ignored event: .*", "Contents of ignored event " + TEXT_REMOVED),
    (r"(The execution of '[\w-]+' resulted in these events:).*", r"\1 " + TEXT_REMOVED),
    (r"Current slot values:.*", "Current slot values " + TEXT_REMOVED),
    (r"(Predicted intent|Parsed message|Parsed text|Message received)\b.*", r"\1 " + TEXT_REMOVED),
))
#: Fields of Rasa's structlog events kept beside the event's name: names of things, never a user's values.
STRUCTLOG_KEPT_FIELDS = ("action_name", "policy_name", "intent_name", "active_loop", "event_info", "confidence",
                         "num_events", "status")

#: Our channels' conversation ids (bot.channels.common.conversation_id): `<channel>:<user id>`.
_CONVERSATION_ID = re.compile(r"\b(?:rest|callback|wechat|telegram|widget):[A-Za-z0-9_.@+=:-]+")
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^\s'\"<>\\]+)")
_TELEGRAM_PATH = re.compile(r"(/bot\d+:)[A-Za-z0-9_-]+")
_TELEGRAM_TOKEN = re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}")
_NAMED_SECRET = re.compile(
    r"(?i)\b((?:access_token|appsecret|app_secret|secret(?:_token)?|token|password|passwd|pwd|signature|"
    r"api_key|apikey|jwt|encodingaeskey|aes_key)[\"']?\s*[=:]\s*[\"']?)[^\s&'\",;}]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def _clean_url(match: re.Match[str]) -> str:
    scheme, rest = match.group(1), match.group(2)
    rest = re.split(r"[?#]", rest, maxsplit=1)[0] + (MASK if re.search(r"[?#]", rest) else "")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        user, _, host = authority.rpartition("@")
        authority = (user.split(":")[0] + ":" + MASK if ":" in user else user) + "@" + host
    return scheme + authority + _TELEGRAM_PATH.sub(lambda m: m.group(1) + MASK, slash + path)


def secret_settings() -> List[str]:
    """The values of the secret settings, to be replaced wherever they appear (the short ones are not secrets)."""
    from bot.settings import SECRET_SETTINGS, get_settings

    try:
        settings = get_settings()
    except Exception:  # noqa: BLE001 - unusable settings: the process says so itself
        return []
    values = [str(getattr(settings, name, "") or "") for name in SECRET_SETTINGS]
    return sorted({value for value in values if len(value) >= 8}, key=len, reverse=True)


def clean_text(text: str, scope: LogScope, secrets: Iterable[str] = ()) -> str:
    """`text` without the scope's private strings, conversation ids, secrets and tokens (steps 2 and 3)."""
    from bot.privacy.redaction import redact

    if scope.conversation:
        text = text.replace(scope.conversation, "conv:" + conversation_hash(scope.conversation))
    for private in sorted(scope.private, key=len, reverse=True):
        if len(private) >= MIN_PRIVATE_CHARS:
            for form in _quoted_forms(private):
                text = text.replace(form, TEXT_REMOVED)
    text = _CONVERSATION_ID.sub(lambda m: "conv:" + conversation_hash(m.group(0)), text)
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _URL.sub(_clean_url, text)
    text = _TELEGRAM_TOKEN.sub(MASK, text)
    text = _NAMED_SECRET.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    text = _JWT.sub(MASK, text)
    return redact(text).text


def _quoted_forms(text: str) -> Tuple[str, ...]:
    """`text` as a line may quote it: as is, JSON-escaped (\\uXXXX), and as Python's repr escapes it."""
    return tuple(dict.fromkeys((text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1],
                                repr(text)[1:-1])))


def structlog_event(message: str) -> str | None:
    """A Rasa structlog line (a JSON object with an `event`) as its event name and kept fields; None otherwise."""
    if not message.startswith("{"):
        return None
    try:
        fields = json.loads(message)
    except ValueError:
        return None
    if not isinstance(fields, dict) or not isinstance(fields.get("event"), str):
        return None
    kept = [f"{name}={fields[name]}" for name in STRUCTLOG_KEPT_FIELDS
            if isinstance(fields.get(name), (str, int, float, bool))]
    return " ".join([fields["event"], *kept])


def _access_line(record: logging.LogRecord) -> str | None:
    """Sanic's access record (its fields are extras): method, path and status only."""
    request, status = getattr(record, "request", None), getattr(record, "status", None)
    if record.name != "sanic.access" or not isinstance(request, str):
        return None
    return f"{request} {status}"


def _message(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the line nor break the process
        message = str(record.msg)
    message = _access_line(record) or message
    parsed = structlog_event(message.strip())
    if parsed is not None:
        return parsed
    for pattern, replacement in KNOWN_TEXT_RECORDS:
        match = pattern.match(message)
        if match:
            return match.expand(replacement)
    return message


def _cap_tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


class LogGuard(logging.Filter):
    """Rewrites every record so that it carries no text, secret or raw id (see the module); never drops one."""

    def __init__(self, name: str = "", secrets: Callable[[], List[str]] = secret_settings) -> None:
        super().__init__(name)
        self._secrets_of = secrets
        self._secrets: List[str] | None = None

    @property
    def secrets(self) -> List[str]:
        if self._secrets is None:
            self._secrets = self._secrets_of()
        return self._secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "okpay_guarded", False):
            return True
        scope = current_scope()
        try:
            guard(record, scope, self.secrets)
        except Exception:  # noqa: BLE001 - when cleaning fails, nothing of the record is shown
            record.msg, record.args = "log record dropped: it could not be cleaned", ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.okpay_guarded = True
        return True


def guard(record: logging.LogRecord, scope: LogScope, secrets: Iterable[str] = ()) -> None:
    """Cleans `record` in place and adds `okpay_conversation` and `okpay_request_id` from `scope`."""
    secrets = list(secrets)
    record.msg = clean_text(_message(record), scope, secrets)[:MAX_EVENT_CHARS]
    record.args = ()
    error = record.exc_text
    if record.exc_info:
        error = logging.Formatter().formatException(record.exc_info)
    record.exc_info = None
    record.exc_text = _cap_tail(clean_text(error, scope, secrets), MAX_ERROR_CHARS) if error else None
    if record.stack_info:
        record.stack_info = _cap_tail(clean_text(record.stack_info, scope, secrets), MAX_ERROR_CHARS)
    record.okpay_conversation = conversation_hash(scope.conversation) if scope.conversation else None
    record.okpay_request_id = clean_text(scope.request_id, scope, secrets)[:128] if scope.request_id else None

