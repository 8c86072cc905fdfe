"""Performance budgets as rules: every limit is a recorded signal plus the alerts that watch it.

A signal is recorded once (`budget:<metric>:<statistic>`, labelled with `budget`, `team` and `service`) and then
compared with a fixed bound (`PerformanceBudgetBreach`), with its own history (`PerformanceRegression`), or with a
weekly-seasonal baseline (`PerformanceAnomaly`, a z-score that replaces the fixed bound where chosen). One group
per budget, in its own file (`budget-<service>-<budget>.yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.base import Duration
from model.budgets import (
    BackendBudget,
    Budget,
    FrontendBudget,
    InfrastructureBudget,
    Regression,
    Seasonal,
    ThroughputLimit,
    UtilisationLimit,
)
from model.catalog import Organisation, Service, Severity, Team
from model.promql import Matcher, Selector, number, quote
from render import rules

BREACH = "PerformanceBudgetBreach"
REGRESSION = "PerformanceRegression"
ANOMALY = "PerformanceAnomaly"


@dataclass(frozen=True)
class Histogram:
    """A quantile of a Prometheus histogram (seconds, or unitless for CLS)."""

    metric: str
    matchers: tuple[Matcher, ...]
    quantile: float


@dataclass(frozen=True)
class Requests:
    """Request counts of a histogram's `_count`, split by a status label into failures and the rest."""

    metric: str
    matchers: tuple[Matcher, ...]
    status_label: str
    error_status: str


@dataclass(frozen=True)
class NodeUtilisation:
    """A node-exporter utilisation: `cpu`, `memory` or `disk_io`."""

    resource: str
    matchers: tuple[Matcher, ...]


OFFSET = "@OFFSET@"


@dataclass(frozen=True)
class Signal:
    """One limit of a budget as rules see it: how it is measured, recorded and judged."""

    key: str
    title: str
    record: str
    template: str
    unit: str  # seconds | score | ratio | per_second | share
    higher_is_worse: bool
    source: Histogram | Requests | NodeUtilisation
    bound: float | None = None
    for_: Duration = Duration(0)
    regression: Regression | None = None
    seasonal: Seasonal | None = None
    throughput: ThroughputLimit | None = None
    utilisation: UtilisationLimit | None = None
    helpers: tuple[dict, ...] = field(default_factory=tuple)

    def expr(self, offset: str = "") -> str:
        """The signal computed from raw series, optionally as it was `offset` ago (e.g. `1w`)."""
        return self.template.replace(OFFSET, f" offset {offset}" if offset else "")


def _pct(q: float) -> str:
    return "p" + number(q * 100).replace(".", "_")


def _sel(metric: str, matchers: tuple[Matcher, ...], window: Duration | None = None) -> str:
    """A selector (a range selector with `window`) that takes an offset where the template says so."""
    return str(Selector(metric, matchers)) + (f"[{window}]" if window is not None else "") + OFFSET


def _histogram_signal(key, title, metric, matchers, q, window, limit, for_, unit="seconds") -> Signal:
    expr = f"histogram_quantile({number(q)}, sum by (le) (rate({_sel(metric + '_bucket', matchers, window)})))"
    bound = None
    if limit.max is not None:
        bound = limit.max.milliseconds / 1000 if isinstance(limit.max, Duration) else float(limit.max)
    return Signal(
        key, title, f"budget:{metric}:{_pct(q)}", expr, unit, True, Histogram(metric, matchers, q),
        bound=bound, for_=for_, regression=limit.regression, seasonal=limit.seasonal,
    )


def _scope(budget: Budget, service: Service) -> tuple[Matcher, ...]:
    extra = tuple(Matcher(k, "=", v) for k, v in sorted(budget.matchers.items()))
    if isinstance(budget, InfrastructureBudget):
        return extra  # node-level series carry no service labels
    return Selector("x", extra).scoped(service.namespace, service.name).matchers


def frontend_signals(budget: FrontendBudget, service: Service) -> list[Signal]:
    """Web vitals and page load at the budget's percentile, from real-user histograms."""
    m, q, out = _scope(budget, service), budget.percentile / 100, []
    titles = {"lcp": "LCP", "fcp": "FCP", "cls": "CLS", "inp": "INP", "fid": "FID", "page_load": "page load"}
    for key in budget.LIMITS:
        limit = getattr(budget, key)
        if limit is not None:
            unit = "score" if key == "cls" else "seconds"
            title = f"{titles[key]} {_pct(q)}"
            out.append(_histogram_signal(key, title, getattr(budget.metrics, key), m, q, budget.window, limit, budget.for_, unit))
    return out


def backend_signals(budget: BackendBudget, service: Service) -> list[Signal]:
    """API p99, database query p95, error rate and throughput of a service."""
    m, metrics, w, out = _scope(budget, service), budget.metrics, budget.window, []
    if budget.api_p99 is not None:
        out.append(_histogram_signal("api_p99", "API p99", metrics.requests, m, 0.99, w, budget.api_p99, budget.for_))
    if budget.db_query_p95 is not None:
        out.append(_histogram_signal("db_query_p95", "DB query p95", metrics.db_queries, m, 0.95, w, budget.db_query_p95, budget.for_))
    requests = Requests(metrics.requests, m, metrics.status_label, metrics.error_status)
    count = metrics.requests + "_count"
    if budget.error_rate is not None:
        errors = m + (Matcher(metrics.status_label, "=~", metrics.error_status),)
        expr = f"sum(rate({_sel(count, errors, w)}))\n/\nsum(rate({_sel(count, m, w)}))"
        limit = budget.error_rate
        out.append(
            Signal("error_rate", "error rate", f"budget:{metrics.requests}:error_ratio", expr, "ratio", True, requests,
                   bound=limit.max, for_=budget.for_, regression=limit.regression, seasonal=limit.seasonal)
        )
    if budget.throughput is not None:
        expr = f"sum(rate({_sel(count, m, w)}))"
        out.append(
            Signal("throughput", "throughput", f"budget:{metrics.requests}:throughput", expr, "per_second", False, requests,
                   for_=budget.throughput.for_, throughput=budget.throughput)
        )
    return out


_UTILISATION = {
    "cpu": ("CPU", "node_cpu_utilisation", lambda m, w: f"1 - avg(rate({_sel('node_cpu_seconds_total', m + (Matcher('mode', '=', 'idle'),), w)}))"),
    "memory": ("memory", "node_memory_utilisation",
               lambda m, w: f"1 - sum({_sel('node_memory_MemAvailable_bytes', m)}) / sum({_sel('node_memory_MemTotal_bytes', m)})"),
    "disk_io": ("disk I/O", "node_disk_io_utilisation", lambda m, w: f"avg(rate({_sel('node_disk_io_time_seconds_total', m, w)}))"),
}


def infrastructure_signals(budget: InfrastructureBudget, service: Service, labels: dict[str, str]) -> list[Signal]:
    """"X% of the time under Y%" for CPU, memory and disk I/O, and the p99 of internal network round trips."""
    m, w, out = _scope(budget, service), budget.window, []
    sel = _labels_selector(labels)
    for key in ("cpu", "memory", "disk_io"):
        limit: UtilisationLimit | None = getattr(budget, key)
        if limit is None:
            continue
        title, name, build = _UTILISATION[key]
        under = f"budget:{name}:under_target"
        helpers = (
            {"record": f"budget:{name}:ratio", "expr": build(m, w).replace(OFFSET, ""), "labels": labels},
            {"record": under, "expr": f"budget:{name}:ratio{sel} < bool {number(limit.under)}", "labels": labels},
        )
        expr = f"avg_over_time({under}{sel}[{limit.over}])"
        out.append(
            Signal(key, f"{title} time under {limit.under:.0%}", f"budget:{name}:share_under_target", expr, "share", False,
                   NodeUtilisation(key, m), bound=limit.share, for_=limit.for_, utilisation=limit, helpers=helpers)
        )
    if budget.network_latency_p99 is not None:
        out.append(
            _histogram_signal("network_latency_p99", "network latency p99", budget.metrics.network_latency, m, 0.99, w,
                              budget.network_latency_p99, budget.for_)
        )
    return out


def signals(budget: Budget, service: Service, labels: dict[str, str]) -> list[Signal]:
    """The signals of any budget kind."""
    if isinstance(budget, FrontendBudget):
        return frontend_signals(budget, service)
    if isinstance(budget, BackendBudget):
        return backend_signals(budget, service)
    return infrastructure_signals(budget, service, labels)


def recording_labels(team: Team, service: Service, budget: Budget) -> dict[str, str]:
    return {"budget": budget.name, "team": team.name, "service": service.name}


def _labels_selector(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in labels.items() if k != "team") + "}"


def baseline(s: Signal, sel: str, kind: str) -> str:
    """The historical baseline of a signal: the raw signal a week ago, or the median of its recording over 7d."""
    if kind == "same-hour-last-week":
        return f"({s.expr('1w')})"
    # The recording carries labels the raw signal lacks: max() drops them so the two sides match.
    return f"max(quantile_over_time(0.5, {s.record}{sel}[7d]))"


def seasonal_expr(s: Signal, sel: str, seasonal: Seasonal) -> str:
    """The z-score of a signal against the mean of the same moment in the last weeks, over last week's spread."""
    past = [f"({s.expr(f'{k}w')})" for k in range(1, seasonal.weeks + 1)]
    mean = f"({' + '.join(past)}) / {seasonal.weeks}" if seasonal.weeks > 1 else past[0]
    now = f"({s.expr()})"
    diff = f"{now} - {mean}" if s.higher_is_worse else f"{mean} - {now}"
    return f"(\n  {diff}\n)\n/\nmax(stddev_over_time({s.record}{sel}[1w]))\n> {number(seasonal.z)}\n"


def _shown(signal: Signal, value: float) -> str:
    if signal.unit == "seconds":
        return f"{value * 1000:g}ms" if value < 1 else f"{value:g}s"
    if signal.unit in ("ratio", "share"):
        return f"{value * 100:g}%"
    return f"{value:g}"


def budget_rules(org: Organisation, team: Team, service: Service, budget: Budget) -> list[dict]:
    """Recordings and alerts of one budget.

    Alerts compute their signal from the raw series rather than reading its recording, which may lag an
    evaluation behind; only functions over a range of history (median, spread, time share) read recordings.
    """
    labels = recording_labels(team, service, budget)
    sel = _labels_selector(labels)
    severity = Severity(budget.severity)
    out: list[dict] = []
    alerts: list[dict] = []
    for s in signals(budget, service, labels):
        out.extend(s.helpers)
        out.append({"record": s.record, "expr": s.expr(), "labels": labels})
        current = f"{s.record}{sel}" if s.utilisation is not None else f"({s.expr()})"
        worse = ">" if s.higher_is_worse else "<"

        def alert(name: str, expr: str, for_: Duration, summary: str, description: str, s: Signal = s) -> dict:
            return rules.alert(
                org, team, service, name=name, expr=expr, severity=severity, for_=for_,
                labels={"budget": budget.name, "signal": s.key}, summary=summary, description=description,
            )

        what = f"{service.name}: {budget.kind} budget {budget.name}"
        if s.throughput is not None:
            t = s.throughput
            alerts.append(alert(
                BREACH, f"{current}\n< {baseline(s, sel, t.baseline)} * {number(t.min_of_baseline)}\n", s.for_,
                f"{what}: throughput below {t.min_of_baseline:.0%} of its baseline",
                f"{service.name} serves less than {t.min_of_baseline:.0%} of its {t.baseline} throughput.",
            ))
        elif s.seasonal is None and s.bound is not None:
            verb = "above" if s.higher_is_worse else "below"
            alerts.append(alert(
                BREACH, f"{current} {worse} {number(s.bound)}", s.for_,
                f"{what}: {s.title} {verb} its budget of {_shown(s, s.bound)}",
                f"The {s.title} of {service.name} has been {verb} {_shown(s, s.bound)} for {s.for_}.",
            ))
        if s.seasonal is not None:
            z = s.seasonal
            alerts.append(alert(
                ANOMALY, seasonal_expr(s, sel, z), z.for_,
                f"{what}: {s.title} is unusual for this time of the week",
                f"The {s.title} of {service.name} is more than {number(z.z)} standard deviations "
                f"{'above' if s.higher_is_worse else 'below'} the same time in the last {z.weeks} weeks.",
            ))
        if s.regression is not None:
            r = s.regression
            factor = 1 + r.tolerance if s.higher_is_worse else 1 - r.tolerance
            alerts.append(alert(
                REGRESSION, f"{current}\n{worse} {baseline(s, sel, r.baseline)} * {number(factor)}\n", r.for_,
                f"{what}: {s.title} regressed against its {r.baseline} baseline",
                f"The {s.title} of {service.name} is more than {r.tolerance:.0%} worse than its {r.baseline} baseline.",
            ))
    return out + alerts


def group_name(service: Service, budget: Budget) -> str:
    return f"budget-{service.name}-{budget.name}"


def file_name(service: Service, budget: Budget) -> str:
    return f"{group_name(service, budget)}.yaml"


def budget_rule_files(org: Organisation) -> dict[str, dict]:
    """One rule file per budget."""
    return {
        file_name(service, budget): {"groups": [{"name": group_name(service, budget), "rules": budget_rules(org, team, service, budget)}]}
        for team in org.teams
        for service in team.services
        for budget in service.budgets
    }
