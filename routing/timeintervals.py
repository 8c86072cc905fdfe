"""Alertmanager time intervals evaluated at a moment, with the same rules as timeinterval.ContainsTime.

Within one spec every given field must match (times, weekdays, days_of_month, months, years), each field matches
if any of its ranges does, and a named interval is active if any of its specs is. Times are [start, end) in minutes
of the day; weekdays count from Sunday; negative days of the month count from its end. Without `location` the
moment is taken in UTC (Alertmanager takes it in its own time zone, UTC in the container).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)

Range = tuple[int, int]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _range(text: str, names: tuple[str, ...] = (), base: int = 0) -> Range:
    def member(part: str) -> int:
        part = part.strip().lower()
        if part in names:
            return names.index(part) + base
        return int(part)

    first, _, last = str(text).partition(":")
    return member(first), member(last or first)


@dataclass(frozen=True)
class Spec:
    """One `<time_interval_spec>`."""

    times: tuple[Range, ...] | None = None
    weekdays: tuple[Range, ...] | None = None
    days_of_month: tuple[Range, ...] | None = None
    months: tuple[Range, ...] | None = None
    years: tuple[Range, ...] | None = None
    location: str | None = None

    @classmethod
    def parse(cls, doc: Mapping) -> Spec:
        def ranges(key: str, names: tuple[str, ...] = (), base: int = 0) -> tuple[Range, ...] | None:
            values = doc.get(key)
            return None if values is None else tuple(_range(v, names, base) for v in values)

        times = doc.get("times")
        return cls(
            times=None if times is None else tuple((_minutes(t["start_time"]), _minutes(t["end_time"])) for t in times),
            weekdays=ranges("weekdays", WEEKDAYS),
            days_of_month=ranges("days_of_month"),
            months=ranges("months", MONTHS, base=1),
            years=ranges("years"),
            location=doc.get("location"),
        )

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.location) if self.location else UTC)
        if self.times is not None:
            minute = local.hour * 60 + local.minute
            if not any(start <= minute < end for start, end in self.times):
                return False
        if self.days_of_month is not None:
            days = calendar.monthrange(local.year, local.month)[1]
            if not any(_day_in(local.day, first, last, days) for first, last in self.days_of_month):
                return False
        if self.months is not None and not any(a <= local.month <= b for a, b in self.months):
            return False
        if self.weekdays is not None:
            weekday = (local.weekday() + 1) % 7  # Python counts from Monday, Alertmanager from Sunday
            if not any(a <= weekday <= b for a, b in self.weekdays):
                return False
        if self.years is not None and not any(a <= local.year <= b for a, b in self.years):
            return False
        return True


def _day_in(day: int, first: int, last: int, days_in_month: int) -> bool:
    begin = days_in_month + first + 1 if first < 0 else first
    end = days_in_month + last + 1 if last < 0 else last
    if begin > days_in_month:
        return False
    begin = max(-days_in_month, min(begin, days_in_month))
    end = max(-days_in_month, min(end, days_in_month))
    return begin <= day <= end


@dataclass(frozen=True)
class TimeIntervals:
    """The named intervals of a config (`time_intervals` and the deprecated `mute_time_intervals`)."""

    specs: Mapping[str, tuple[Spec, ...]]

    @classmethod
    def from_config(cls, config: Mapping) -> TimeIntervals:
        out: dict[str, tuple[Spec, ...]] = {}
        for entry in [*(config.get("mute_time_intervals") or []), *(config.get("time_intervals") or [])]:
            out[entry["name"]] = tuple(Spec.parse(spec) for spec in entry.get("time_intervals") or [])
        return cls(out)

    def active(self, name: str, moment: datetime) -> bool:
        return any(spec.contains(moment) for spec in self.specs[name])

    def any_active(self, names: Iterable[str], moment: datetime) -> list[str]:
        """The names among `names` that are active at `moment`."""
        return [name for name in names if self.active(name, moment)]

    def sends(self, mute: Iterable[str], active: Iterable[str], moment: datetime) -> bool:
        """Does a route with these mute and active intervals deliver at `moment`?"""
        active = list(active)
        return not self.any_active(mute, moment) and (not active or bool(self.any_active(active, moment)))

    def next_send(
        self, mute: Iterable[str], active: Iterable[str], moment: datetime, within: timedelta = timedelta(days=31)
    ) -> datetime | None:
        """The first minute after `moment` at which such a route delivers, or None within `within`.

        Every boundary Alertmanager can express falls on a whole minute, so stepping by minutes is exact.
        """
        mute, active = list(mute), list(active)
        step = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        end = moment + within
        while step <= end:
            if self.sends(mute, active, step):
                return step
            step += timedelta(minutes=1)
        return None
