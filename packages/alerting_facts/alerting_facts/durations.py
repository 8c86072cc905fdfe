"""Prometheus-style durations (`5m`, `1h30m`, `4w`, `30d`) as seconds, the way Sloth, Pyrra and Prometheus read them."""

from __future__ import annotations

import re

_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")


def seconds(value: object) -> float | None:
    """The duration in seconds, or None when `value` is not a Prometheus duration."""
    if not isinstance(value, str) or not value or value == "0":
        return 0.0 if value == "0" else None
    match = _DURATION.match(value)
    if not match:
        return None
    amounts = match.groups()[1::2]
    return float(sum(int(n) * _UNITS[unit] for n, unit in zip(amounts, _UNITS) if n))


def show(value: float) -> str:
    """Seconds as the shortest Prometheus duration (`2592000` -> `30d`)."""
    if value <= 0:
        return "0s"
    out, rest = "", int(round(value))
    for unit in ("d", "h", "m", "s"):
        amount, rest = divmod(rest, int(_UNITS[unit]))
        if amount:
            out += f"{amount}{unit}"
    return out


DAY = 86400.0
