"""Input series for `promtool test rules` and `vmalert-tool unittest`, in their shared expanding notation.

Time is counted in samples of the test's input interval (1m for budgets, 30s for SLOs, whose one-minute rates
need two samples inside the window in Prometheus). A series is described by what happens in each sample interval
(a counter's increase, a gauge's value), given as consecutive segments of constant behaviour; sample i closes the
interval i-1..i, so a rule evaluated at sample i reads the segment that ended there.
"""

from __future__ import annotations

from collections.abc import Sequence


class GenerationError(Exception):
    """A behaviour test the generator cannot make (the SLO and budget test generators raise it)."""

    def __init__(self, message: str, loc: tuple = ()) -> None:
        super().__init__(message)
        self.loc = loc
        """Where in the catalog the SLO or budget the test is of is (teams[i].services[j]...), once known."""


INTERVAL_MS = 60_000
Segments = Sequence[tuple[int, float]]
"""(samples, value per sample) pairs, covering the test from sample 0 onwards."""


def fmt(value: float) -> str:
    """A float both tools parse: plain decimal notation, no exponent."""
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def counter(segments: Segments) -> str:
    """A counter starting at 0 that grows by each segment's per-sample increase."""
    parts, total = ["0"], 0.0
    for samples, increase in segments:
        if samples <= 0:
            continue
        parts.append(f"{fmt(total + increase)}+{fmt(increase)}x{samples - 1}")
        total += increase * samples
    return " ".join(parts)


def gauge(segments: Segments) -> str:
    """A gauge holding each segment's value; its first sample repeats the first value."""
    live = [(m, v) for m, v in segments if m > 0]
    parts = [fmt(live[0][1])] if live else []
    parts += [f"{fmt(v)}+0x{m - 1}" for m, v in live]
    return " ".join(parts)


def firing(condition, t: int, pending: int, step: int) -> bool | None:
    """Whether an alert fires at `t` (True, False, or None when unsure), from its condition at each evaluation.

    It fires if its condition held at every evaluation since one at least `pending` (its `for`) earlier; a
    condition that was false after that point restarts the wait.
    """
    if pending == 0:
        return condition(t)
    if t - pending < 0:
        return False
    first = (t - pending) // step * step
    states = {s: condition(s) for s in range(first, t + 1, step)}
    if any(v is False for s, v in states.items() if s > t - pending):
        return False
    return True if all(v is True for v in states.values()) else None


def series_name(metric: str, labels: dict[str, str]) -> str:
    """`metric{a="b"}` as test files name a series."""
    from model.promql import quote

    if not labels:
        return metric
    return metric + "{" + ", ".join(f"{k}={quote(v)}" for k, v in sorted(labels.items())) + "}"


def duration(ms: int) -> str:
    """A test-file duration (eval_time, interval): Prometheus notation."""
    from model.base import Duration

    return str(Duration(ms))
