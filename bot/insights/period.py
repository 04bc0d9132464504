"""The period and channel a supervisor asks figures for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

#: Channels as conversation ids carry them (`wechat:<openid>`, `widget:u:<sub>` …); "rest" is any id without one.
CHANNELS = ("widget", "wechat", "telegram", "rest")


class BadPeriod(ValueError):
    """The dates or the channel asked for cannot be read."""


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, and one channel or all (None)."""

    start: datetime
    end: datetime
    channel: str | None = None

    @property
    def start_ts(self) -> float:
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        return self.end.timestamp()

    def days(self, tz: str) -> dict:
        """The first and last day of the period in the service time zone, as the date pickers show them."""
        zone = ZoneInfo(tz)
        last = (self.end.astimezone(zone) - timedelta(days=1)).date()
        return {"first_day": self.start.astimezone(zone).date().isoformat(), "last_day": last.isoformat()}

    @classmethod
    def from_days(cls, first: date, last: date, tz: str, channel: str | None = None) -> Period:
        """Whole days `first` to `last` (both included) in the service time zone."""
        if last < first:
            raise BadPeriod("the period ends before it starts")
        if channel not in (None, *CHANNELS):
            raise BadPeriod(f"unknown channel {channel!r}")
        zone = ZoneInfo(tz)
        start = datetime.combine(first, time(0), zone).astimezone(timezone.utc)
        end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
        return cls(start, end, channel)

    @classmethod
    def from_query(cls, query: dict, tz: str, today: date, default_days: int = 30) -> Period:
        """`from` / `to` as YYYY-MM-DD (default: the last `default_days` days up to today), `channel` or all."""
        try:
            last = date.fromisoformat(query["to"]) if query.get("to") else today
            first = date.fromisoformat(query["from"]) if query.get("from") else last - timedelta(days=default_days - 1)
        except ValueError as error:
            raise BadPeriod(str(error)) from error
        if (last - first).days > 366:
            raise BadPeriod("a period is at most a year")
        return cls.from_days(first, last, tz, query.get("channel") or None)


def today_in(tz: str) -> date:
    """Today's date in the service time zone (the default period ends with it)."""
    return datetime.now(ZoneInfo(tz)).date()


def channel_of(conversation_id: str) -> str:
    """The channel a conversation id names (see CHANNELS)."""
    prefix = conversation_id.split(":", 1)[0] if ":" in conversation_id else ""
    return prefix if prefix in CHANNELS else "rest"
