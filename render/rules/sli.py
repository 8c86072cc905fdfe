"""SLI queries: one definition per SLI kind, shared by the native rules, the Sloth and Pyrra objects and the tests.

Queries carry Sloth's `{{.window}}` placeholder; `at(query, window)` fills it in.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.base import Duration
from model.promql import Matcher, Selector
from model.slo import SLO, FreshnessSLI, LatencySLI, RatioSLI, RawSLI, le_matcher_value

WINDOW = "{{.window}}"


@dataclass(frozen=True)
class EventQueries:
    """An events SLI: the rate of bad events and of all events over `{{.window}}`."""

    errors: str
    total: str


@dataclass(frozen=True)
class RawQuery:
    """A raw SLI: the error ratio over `{{.window}}` itself."""

    error_ratio: str


def at(query: str, window: Duration) -> str:
    return query.replace(WINDOW, str(window))


def _rate(selector: Selector) -> str:
    return f"sum(rate({selector}[{WINDOW}]))"


def histogram_parts(histogram: Selector, bound: Duration, namespace: str, service: str) -> tuple[Selector, Selector]:
    """(the bucket series of events under `bound`, the count series of all events) of a histogram."""
    base = histogram.scoped(namespace, service)
    op, value = le_matcher_value(bound)
    good = Selector(f"{base.metric}_bucket", base.matchers + (Matcher("le", op, value),))
    return good, base.with_metric(f"{base.metric}_count")


def counters(slo: SLO, namespace: str, service: str) -> tuple[Selector | None, Selector | None, Selector]:
    """(errors, good, total) counter selectors of an events SLI, scoped to the service; one of the first two is None."""
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        scoped = [s.scoped(namespace, service) if s is not None else None for s in (sli.errors, sli.good, sli.total)]
        return scoped[0], scoped[1], scoped[2]
    if isinstance(sli, LatencySLI | FreshnessSLI):
        bound = sli.under if isinstance(sli, LatencySLI) else sli.within
        good, total = histogram_parts(sli.histogram, bound, namespace, service)
        return None, good, total
    raise TypeError(f"{type(sli).__name__} has no counters")


def queries(slo: SLO, namespace: str, service: str) -> EventQueries | RawQuery:
    """The SLI of `slo` as Sloth queries, scoped to the service's series."""
    if isinstance(slo.sli, RawSLI):
        return RawQuery(slo.sli.error_ratio_query.strip())
    errors, good, total = counters(slo, namespace, service)
    if errors is not None:
        return EventQueries(_rate(errors), _rate(total))
    return EventQueries(f"{_rate(total)} - {_rate(good)}", _rate(total))


def error_ratio(q: EventQueries | RawQuery, window: Duration) -> str:
    """The error ratio over `window`, in the shape Sloth records it."""
    if isinstance(q, RawQuery):
        return f"({at(q.error_ratio, window)})"
    return f"({at(q.errors, window)})\n/\n({at(q.total, window)})\n"


def errors_rate(q: EventQueries, window: Duration) -> str:
    """Bad events per second over `window`."""
    return at(q.errors, window)


def total_rate(slo: SLO, namespace: str, service: str) -> str | None:
    """Events per second over `{{.window}}`, for the low-traffic guard; None when the SLI counts no events."""
    sli = slo.sli
    if isinstance(sli, RawSLI):
        return _rate(sli.fixture.total.scoped(namespace, service)) if sli.fixture.total is not None else None
    return _rate(counters(slo, namespace, service)[2])
