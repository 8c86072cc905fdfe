"""Alertmanager time intervals: every team's business hours and maintenance windows, each in its own time zone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from model.catalog import BusinessHours, MaintenanceWindow, Team

# Alertmanager numbers weekdays from Sunday (0) and rejects a range whose start is after its end, so a catalog
# range that runs past Saturday ("friday:monday", "monday:sunday") must be split.
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)


# Names are joined with "/", which no catalog name contains: team `a-maintenance-b`'s business hours and team `a`'s
# window `b-business-hours` would otherwise both be `a-maintenance-b-business-hours`, and Alertmanager refuses that.
def business_hours_name(team_name: str) -> str:
    return f"{team_name}/business-hours"


def maintenance_name(team_name: str, window_name: str) -> str:
    return f"{team_name}/maintenance/{window_name}"


def weekday_numbers(ranges: Iterable[str]) -> set[int]:
    """The days catalog weekday ranges cover, numbered from Sunday (0) as Alertmanager and strftime's %w do."""
    days: set[int] = set()
    for text in ranges:
        first, _, last = text.partition(":")
        day, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days.add(day)
        while day != end:
            day = (day + 1) % 7
            days.add(day)
    return days


def weekday_ranges(ranges: Iterable[str]) -> list[str]:
    """Catalog weekday ranges as Alertmanager accepts them: the same days, as ascending ranges from Sunday."""
    days = weekday_numbers(ranges)
    out = []
    for start, stop in _runs(sorted(days)):
        out.append(WEEKDAYS[start] if start == stop else f"{WEEKDAYS[start]}:{WEEKDAYS[stop]}")
    return out


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs of sorted integers as (first, last) pairs."""
    if not numbers:
        return
    first = last = numbers[0]
    for n in numbers[1:]:
        if n == last + 1:
            last = n
            continue
        yield first, last
        first = last = n
    yield first, last


def business_hours(team_name: str, hours: BusinessHours) -> dict:
    """The hours a team works, in its own time zone: P2 alerts wait for them."""
    return {
        "name": business_hours_name(team_name),
        "time_intervals": [
            {
                "weekdays": weekday_ranges(hours.weekdays),
                "times": [{"start_time": hours.start, "end_time": hours.end}],
                "location": hours.timezone,
            }
        ],
    }


def _clock(moment: datetime, day_start: datetime) -> str:
    minutes = int((moment - day_start).total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def one_off_specs(start: datetime, end: datetime, timezone: str) -> list[dict]:
    """A single window [start, end) in local time as time interval specs: a partial first and last day, and the
    whole days between them as day-of-month ranges per month (Alertmanager has no notion of a date span)."""
    specs: list[dict] = []
    whole_days: list[date] = []

    def flush_whole_days() -> None:
        by_month: dict[tuple[int, int], list[int]] = {}
        for d in whole_days:
            by_month.setdefault((d.year, d.month), []).append(d.day)
        for (year, month), days in by_month.items():
            for first, last in _runs(days):
                days = f"{first}" if first == last else f"{first}:{last}"
                specs.append(_date_spec(year, month, days, None, timezone))
        whole_days.clear()

    day = start.date()
    while True:
        day_start = datetime.combine(day, datetime.min.time())
        day_end = day_start + timedelta(days=1)
        seg_start, seg_end = max(start, day_start), min(end, day_end)
        if seg_start >= seg_end:
            break
        if seg_start == day_start and seg_end == day_end:
            whole_days.append(day)
        else:
            flush_whole_days()
            times = {"start_time": _clock(seg_start, day_start), "end_time": _clock(seg_end, day_start)}
            specs.append(_date_spec(day.year, day.month, f"{day.day}", times, timezone))
        day += timedelta(days=1)
    flush_whole_days()
    return specs


def _date_spec(year: int, month: int, days_of_month: str, times: dict | None, timezone: str) -> dict:
    spec: dict = {}
    if times is not None:
        spec["times"] = [times]
    spec["days_of_month"] = [days_of_month]
    spec["months"] = [MONTHS[month - 1]]
    spec["years"] = [str(year)]
    spec["location"] = timezone
    return spec


def maintenance(team_name: str, window: MaintenanceWindow) -> dict:
    """A maintenance window as a mute time interval: alerts are held, not dropped, while it lasts."""
    if window.weekly is not None:
        specs = [
            {
                "weekdays": weekday_ranges(window.weekly.weekdays),
                "times": [{"start_time": window.weekly.start, "end_time": window.weekly.end}],
                "location": window.timezone,
            }
        ]
    else:
        assert window.once is not None
        specs = one_off_specs(window.once.start, window.once.end, window.timezone)
    return {"name": maintenance_name(team_name, window.name), "time_intervals": specs}


def render(teams: Iterable[Team]) -> list[dict]:
    """Every named time interval the routing tree refers to, in catalog order."""
    out = []
    for team in teams:
        out.append(business_hours(team.name, team.business_hours))
        out.extend(maintenance(team.name, window) for window in team.maintenance)
    return out
