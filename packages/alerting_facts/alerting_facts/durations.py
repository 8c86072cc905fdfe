"""Prometheus durations (`5m`, `1h30m`, `4w`, `30d`), read and written the way Prometheus, Sloth and Pyrra do
(prometheus/common `model.ParseDuration` and `Duration.String`): the one parser of the program's catalog and stack
config (`model.base.Duration` wraps it) and of the policy pack."""

from __future__ import annotations

import functools
import re

UNITS_MS = (
    ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
)
"""Each unit in the order a duration writes them, with its length in milliseconds (a year is 365 days)."""
PATTERN = r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
"""The grammar, one group per unit of UNITS_MS (also the catalog schema's pattern for a duration)."""
_DURATION = re.compile(PATTERN)

DAY = 86400.0


def milliseconds(value: object) -> int | None:
    """The duration in milliseconds, or None when `value` is not a Prometheus duration (`0` is one, as in
    Prometheus; an empty string is not)."""
    if not isinstance(value, str) or not value:
        return None
    if value == "0":
        return 0
    match = _DURATION.match(value)
    if not match:
        return None
    return sum(int(amount) * length for amount, (_, length) in zip(match.groups(), UNITS_MS) if amount)


def seconds(value: object) -> float | None:
    """The duration in seconds, or None when `value` is not a Prometheus duration."""
    ms = milliseconds(value)
    return None if ms is None else ms / 1000


@functools.lru_cache(maxsize=4096)
def text(ms: int) -> str:
    """Milliseconds as Prometheus prints a duration: years and weeks only when exact, so 30d stays 30d while 28d
    prints as 4w, the form Sloth and Pyrra emit. Cached: a render prints the same few windows a hundred thousand
    times."""
    if ms == 0:
        return "0s"
    out = []
    for unit, length in UNITS_MS:
        if unit in ("y", "w") and ms % length:
            continue
        if ms >= length:
            out.append(f"{ms // length}{unit}")
            ms %= length
    return "".join(out)


def show(value: float) -> str:
    """Seconds in days, hours, minutes and seconds (`2592000` -> `30d`, `604800` -> `7d`), for messages."""
    if value <= 0:
        return "0s"
    out, rest = "", int(round(value))
    for unit, length in UNITS_MS[2:6]:
        amount, rest = divmod(rest, length // 1000)
        if amount:
            out += f"{amount}{unit}"
    return out
