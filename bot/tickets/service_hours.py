"""When live agents work: hours and weekdays in the service time zone.

`OKPAY_SERVICE_HOURS=09:00-21:00`, `OKPAY_SERVICE_DAYS=1-5` (ISO weekdays),
`OKPAY_SERVICE_TIMEZONE=Asia/Shanghai`. Hours that cross midnight
("20:00-02:00") belong to the day they start on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import FrozenSet
from zoneinfo import ZoneInfo

from bot.settings import Settings


@dataclass(frozen=True)
class ServiceHours:
    opens: time
    closes: time
    days: FrozenSet[int]
    timezone: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceHours:
        return cls(*parse_hours(settings.service_hours), parse_days(settings.service_days), settings.service_timezone)

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone))

    def is_open(self, now: datetime) -> bool:
        local = self._local(now)
        clock = local.time()
        if self.opens <= self.closes:
            return local.isoweekday() in self.days and self.opens <= clock < self.closes
        # Over midnight: the evening part is on a service day, the night part on the day after one.
        if clock >= self.opens:
            return local.isoweekday() in self.days
        yesterday = (local - timedelta(days=1)).isoweekday()
        return clock < self.closes and yesterday in self.days

    def next_opening(self, now: datetime) -> datetime:
        """The next time service opens after `now` (in the service time zone)."""
        local = self._local(now)
        for days_ahead in range(0, 8):
            day = (local + timedelta(days=days_ahead)).date()
            opening = datetime.combine(day, self.opens, tzinfo=local.tzinfo)
            if opening > local and opening.isoweekday() in self.days:
                return opening
        raise ValueError("service hours have no service day")

    def describe(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


def parse_hours(text: str) -> tuple[time, time]:
    try:
        start, end = (part.strip() for part in text.split("-"))
        return time.fromisoformat(start), time.fromisoformat(end)
    except ValueError as error:
        raise ValueError(f"service hours must look like 09:00-21:00, not {text!r}") from error


def parse_days(text: str) -> FrozenSet[int]:
    days: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if "-" in part:
            first, last = (int(value) for value in part.split("-"))
            days.update(range(first, last + 1))
        elif part:
            days.add(int(part))
    if not days or not days <= set(range(1, 8)):
        raise ValueError(f"service days are ISO weekdays 1-7, not {text!r}")
    return frozenset(days)
