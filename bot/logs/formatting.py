"""A guarded record as one line: a JSON object (python-json-logger), or the same fields readable.

The JSON fields, in this order (docs/logging.md): `timestamp` (ISO 8601, UTC,
milliseconds), `level`, `process` (the role: rasa-1, actions-2, console …),
`logger`, `event` (the message), and when known `conversation` (the keyed
hash of the conversation id), `request_id`, and `error` (the cleaned
traceback). Nothing else of the record is written: libraries' extras
(Sanic's access fields, anything passed as `extra=`) could carry what the
guard did not clean.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict

from pythonjsonlogger.json import JsonFormatter


def iso_utc(created: float) -> str:
    """`2026-01-02T03:04:05.678Z`."""
    return datetime.fromtimestamp(created, tz=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def line_fields(record: logging.LogRecord, process: str) -> Dict[str, Any]:
    fields: Dict[str, Any] = {
        "timestamp": iso_utc(record.created),
        "level": record.levelname,
        "process": process,
        "logger": record.name,
        "event": record.getMessage(),
    }
    for name, attribute in (("conversation", "okpay_conversation"), ("request_id", "okpay_request_id")):
        value = getattr(record, attribute, None)
        if value:
            fields[name] = value
    error = record.exc_text or (logging.Formatter().formatException(record.exc_info) if record.exc_info else None)
    if error:
        fields["error"] = error
    if record.stack_info:
        fields["stack"] = record.stack_info
    return fields


class JsonLineFormatter(JsonFormatter):
    """One JSON object per record, on one line; non-ASCII kept as is (Chinese log messages stay readable)."""

    def __init__(self, process: str) -> None:
        super().__init__(json_ensure_ascii=False)
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        return self.serialize_log_record(line_fields(record, self.process))


class TextLineFormatter(logging.Formatter):
    """The same fields for a person at a terminal: `time level process logger [conv] event`, then the error."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        fields = line_fields(record, self.process)
        context = " ".join(f"{name}={fields[name]}" for name in ("conversation", "request_id") if name in fields)
        line = " ".join(part for part in (fields["timestamp"], f"{fields['level']:<7}", fields["process"],
                                          fields["logger"], f"[{context}]" if context else "", fields["event"])
                        if part)
        for name in ("error", "stack"):
            if name in fields:
                line += "\n" + fields[name]
        return line
