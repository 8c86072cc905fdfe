"""Performance budgets as rules: every limit is a recorded signal plus the alerts that watch it.

A signal is recorded once (`budget:<metric>:<statistic>`, labelled with `budget`, `team` and `service`) and then
compared with a fixed bound (`PerformanceBudgetBreach`), with its own history (`PerformanceRegression`), or with a
weekly-seasonal baseline (`PerformanceAnomaly`, a z-score beside the fixed bound or instead of it). A utilisation
limit is two signals: the utilisation itself (recorded, and judged against history) and the share of time it
stays under its level (the breach). One group per budget, in its own file (`budget-<service>-<budget>.yaml`).
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
from render.rules import health as rules

BREACH = "PerformanceBudgetBreach"
REGRESSION = "PerformanceRegression"
ANOMALY = "PerformanceAnomaly"

PER_NODE = ("instance",)
"""Node budgets hold for every node: their signals keep the node-exporter target's `instance` label."""


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
    """A node-exporter utilisation of each node: `cpu`, `memory` or `disk_io`."""

    resource: str
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class ContainerMemory:
    """cAdvisor's working set over the memory limit of the service's fullest container."""

    used: str
    limit: str
    matchers: tuple[Matcher, ...]


OFFSET = "@OFFSET@"


@dataclass(frozen=True, eq=False)
class Signal:
    """One limit of a budget as rules see it: how it is measured, recorded and judged (one object per signal:
    compared and hashed by identity)."""

    key: str
    title: str
    record: str
    template: str
    unit: str  # seconds | score | ratio | per_second | share | utilisation
    higher_is_worse: bool
    source: Histogram | Requests | NodeUtilisation | ContainerMemory
    bound: float | None = None
    for_: Duration = Duration(0)
    regression: Regression | None = None
    seasonal: Seasonal | None = None
    throughput: ThroughputLimit | None = None
    utilisation: UtilisationLimit | None = None
    """Set on the share-of-time signal of a utilisation limit."""
    level: UtilisationLimit | None = None
    """Set on the utilisation signal of a utilisation limit."""
    by: tuple[str, ...] = ()
    """Labels the signal keeps: one series (and one alert) per value."""
    helpers: tuple[dict, ...] = field(default_factory=tuple)
    noun: str = ""
    """What is measured, for alert text: "LCP", "CPU"."""

    def expr(self, offset: str = "") -> str:
        """The signal computed from raw series, optionally as it was `offset` ago (e.g. `1w`)."""
        return self.template.replace(OFFSET, f" offset {offset}" if offset else "")


def _pct(q: float) -> str:
    return "p" + number(q * 100).replace(".", "_")


def _sel(metric: str, matchers: tuple[Matcher, ...], window: Duration | None = None) -> str:
    """A selector (a range selector with `window`) that takes an offset where the template says so."""
    return str(Selector(metric, matchers)) + (f"[{window}]" if window is not None else "") + OFFSET


def _histogram_signal(key, noun, metric, matchers, q, window, limit, for_, unit="seconds") -> Signal:
    expr = f"histogram_quantile({number(q)}, sum by (le) (rate({_sel(metric + '_bucket', matchers, window)})))"
    bound = None
    if limit.max is not None:
        bound = limit.max.milliseconds / 1000 if isinstance(limit.max, Duration) else float(limit.max)
    return Signal(
        key, f"{noun} {_pct(q)}", f"budget:{metric}:{_pct(q)}", expr, unit, True, Histogram(metric, matchers, q),
        bound=bound, for_=for_, regression=limit.regression, seasonal=limit.seasonal, noun=noun,
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
            out.append(_histogram_signal(key, titles[key], getattr(budget.metrics, key), m, q, budget.window, limit, budget.for_, unit))
    return out


def _utilisation_signals(
    key: str, title: str, name: str, level_expr: str, source, limit: UtilisationLimit, labels: dict[str, str], by: tuple[str, ...]
) -> list[Signal]:
    """The utilisation (recorded, judged against its history) and the share of time it stays under its level."""
    sel = _labels_selector(labels)
    ratio = f"budget:{name}:ratio"
    under = f"budget:{name}:under_target"
    level = Signal(key, f"{title} utilisation", ratio, level_expr, "utilisation", True, source,
                   regression=limit.regression, seasonal=limit.seasonal, level=limit, by=by, noun=title)
    helpers = ({"record": under, "expr": f"{ratio}{sel} < bool {number(limit.under)}", "labels": labels},)
    share = Signal(key, f"{title} time under {_percent(limit.under)}", f"budget:{name}:share_under_target",
                   f"avg_over_time({under}{sel}[{limit.over}])", "share", False, source,
                   bound=limit.share, for_=limit.for_, utilisation=limit, by=by, helpers=helpers, noun=title)
    return [level, share]


def _container_scope(budget: BackendBudget, service: Service) -> tuple[Matcher, ...]:
    # cAdvisor labels containers with namespace, pod and container, not with the scrape target's service.
    pods = budget.metrics.pods or f"{service.name}-.*"
    extra = tuple(Matcher(k, "=", v) for k, v in sorted(budget.matchers.items()) if k not in ("namespace", "pod"))
    namespace = budget.matchers.get("namespace", service.namespace)
    return (Matcher("namespace", "=", namespace), Matcher("pod", "=~", pods), Matcher("container", "!=", ""), *extra)


def backend_signals(budget: BackendBudget, service: Service, labels: dict[str, str]) -> list[Signal]:
    """API p99, database query p95, error rate, throughput and memory of a service."""
    m, metrics, w, out = _scope(budget, service), budget.metrics, budget.window, []
    if budget.api_p99 is not None:
        out.append(_histogram_signal("api_p99", "API", metrics.requests, m, 0.99, w, budget.api_p99, budget.for_))
    if budget.db_query_p95 is not None:
        out.append(_histogram_signal("db_query_p95", "DB query", metrics.db_queries, m, 0.95, w, budget.db_query_p95, budget.for_))
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
                   for_=budget.throughput.for_, throughput=budget.throughput, seasonal=budget.throughput.seasonal)
        )
    if budget.memory is not None:
        c = _container_scope(budget, service)
        per = "max by (namespace, pod, container)"
        level = f"max(\n  {per} ({_sel(metrics.memory_used, c)})\n  /\n  {per} ({_sel(metrics.memory_limit, c)} > 0)\n)"
        source = ContainerMemory(metrics.memory_used, metrics.memory_limit, c)
        out += _utilisation_signals("memory", "memory", "container_memory_utilisation", level, source, budget.memory, labels, ())
    return out


_NODE = {
    # The node-exporter mixin's definitions (docs/node-mixin/rules/rules.libsonnet), kept per node.
    "cpu": ("CPU", "node_cpu_utilisation", lambda m, w: (
        f"1 - avg by (instance) (\n  sum without (mode) (rate({_sel('node_cpu_seconds_total', m + (Matcher('mode', '=~', 'idle|iowait|steal'),), w)}))\n)"
    )),
    "memory": ("memory", "node_memory_utilisation", lambda m, w: (
        f"1 - sum by (instance) ({_sel('node_memory_MemAvailable_bytes', m)}) / sum by (instance) ({_sel('node_memory_MemTotal_bytes', m)})"
    )),
    # The busiest device of the node; node-exporter already leaves out partitions, loop and RAM devices.
    "disk_io": ("disk I/O", "node_disk_io_utilisation", lambda m, w: (
        f"max by (instance) (rate({_sel('node_disk_io_time_seconds_total', m, w)}))"
    )),
}


def infrastructure_signals(budget: InfrastructureBudget, service: Service, labels: dict[str, str]) -> list[Signal]:
    """"X% of the time under Y%" of every node for CPU, memory and disk I/O, and internal network latency at a
    percentile."""
    m, w, out = _scope(budget, service), budget.window, []
    for key in ("cpu", "memory", "disk_io"):
        limit: UtilisationLimit | None = getattr(budget, key)
        if limit is None:
            continue
        title, name, build = _NODE[key]
        out += _utilisation_signals(key, title, name, build(m, w), NodeUtilisation(key, m), limit, labels, PER_NODE)
    if budget.network_latency is not None:
        limit = budget.network_latency
        q = limit.percentile / 100
        out.append(
            _histogram_signal("network_latency", "network latency", budget.metrics.network_latency, m, q, w, limit, budget.for_)
        )
    return out


def signals(budget: Budget, service: Service, labels: dict[str, str]) -> list[Signal]:
    """The signals of any budget kind."""
    if isinstance(budget, FrontendBudget):
        return frontend_signals(budget, service)
    if isinstance(budget, BackendBudget):
        return backend_signals(budget, service, labels)
    return infrastructure_signals(budget, service, labels)


def recording_labels(team: Team, service: Service, budget: Budget) -> dict[str, str]:
    return {"budget": budget.name, "team": team.name, "service": service.name}


def _labels_selector(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in labels.items() if k != "team") + "}"


def _keep(s: Signal) -> str:
    """An aggregation that drops the recording's own labels (budget, team, service) and keeps the signal's."""
    return f"max by ({', '.join(s.by)})" if s.by else "max"


def baseline(s: Signal, sel: str, kind: str) -> str:
    """The historical baseline of a signal: the raw signal a week ago, or the median of its recording over 7d."""
    if kind == "same-hour-last-week":
        return f"({s.expr('1w')})"
    return f"{_keep(s)} (quantile_over_time(0.5, {s.record}{sel}[7d]))"


def seasonal_expr(s: Signal, sel: str, seasonal: Seasonal) -> str:
    """The z-score of a signal against the mean of the same moment in the last weeks, over last week's spread."""
    past = [f"({s.expr(f'{k}w')})" for k in range(1, seasonal.weeks + 1)]
    mean = f"({' + '.join(past)}) / {seasonal.weeks}" if seasonal.weeks > 1 else past[0]
    now = f"({s.expr()})"
    diff = f"{now} - {mean}" if s.higher_is_worse else f"{mean} - {now}"
    return f"(\n  {diff}\n)\n/\n{_keep(s)} (stddev_over_time({s.record}{sel}[1w]))\n> {number(seasonal.z)}\n"


def _percent(value: float) -> str:
    return f"{value * 100:g}%"


def shown(signal: Signal, value: float) -> str:
    """A bound as people write it: 2.5s, 200ms, 0.1%, 0.1."""
    if signal.unit == "seconds":
        return f"{value * 1000:g}ms" if value < 1 else f"{value:g}s"
    if signal.unit in ("ratio", "share", "utilisation"):
        return _percent(value)
    return f"{value:g}"


def _where(s: Signal, service: Service) -> str:
    return "node {{ $labels.instance }}" if s.by == PER_NODE else service.name


def _breach_text(what: str, s: Signal, service: Service) -> tuple[str, str]:
    """Summary and description of a fixed bound's breach, in the report's terms ("95% under 2.5s")."""
    bound = shown(s, s.bound)
    if s.utilisation is not None:
        u = s.utilisation
        return (
            f"{what}: {s.title} below {_percent(u.share)}",
            (f"{_where(s, service)} has spent less than {_percent(u.share)} of the last {u.over} under "
             f"{_percent(u.under)} {s.noun} utilisation (budget: {_percent(u.share)} of the time under {_percent(u.under)})."),
        )
    if isinstance(s.source, Histogram):
        share = _percent(s.source.quantile)
        return (
            f"{what}: {s.title} above its budget of {bound}",
            (f"Fewer than {share} of the {s.noun} measurements of {service.name} are under {bound} "
             f"(budget: {share} under {bound}): the {s.title} has been above it for {s.for_}."),
        )
    return (
        f"{what}: {s.title} above its budget of {bound}",
        f"More than {bound} of the requests of {service.name} fail (budget: {_percent(1 - s.bound)} success) over {s.for_}.",
    )


def budget_alerts(org: Organisation, team: Team, service: Service, budget: Budget) -> list[tuple[Signal, dict]]:
    """Every alert of one budget with the signal it judges.

    Alerts compute their signal from the raw series rather than reading its recording, which may lag an
    evaluation behind; only functions over a range of history (median, spread, time share) read recordings.
    """
    labels = recording_labels(team, service, budget)
    sel = _labels_selector(labels)
    severity = Severity(budget.severity)
    out: list[tuple[Signal, dict]] = []
    what = f"{service.name}: {budget.kind} budget {budget.name}"
    for s in signals(budget, service, labels):
        current = f"{s.record}{sel}" if s.utilisation is not None else f"({s.expr()})"
        worse = ">" if s.higher_is_worse else "<"

        def alert(name: str, expr: str, for_: Duration, summary: str, description: str, s: Signal = s) -> None:
            out.append((s, rules.alert(
                org, team, service, name=name, expr=expr, severity=severity, for_=for_,
                labels={"budget": budget.name, "signal": s.key}, summary=summary, description=description,
            )))

        if s.throughput is not None:
            t = s.throughput
            alert(
                BREACH, f"{current}\n< {baseline(s, sel, t.baseline)} * {number(t.min_of_baseline)}\n", s.for_,
                f"{what}: throughput below {_percent(t.min_of_baseline)} of its baseline",
                f"{service.name} serves less than {_percent(t.min_of_baseline)} of its {t.baseline} throughput.",
            )
        elif s.bound is not None:
            summary, description = _breach_text(what, s, service)
            alert(BREACH, f"{current} {worse} {number(s.bound)}", s.for_, summary, description)
        if s.seasonal is not None:
            z = s.seasonal
            alert(
                ANOMALY, seasonal_expr(s, sel, z), z.for_,
                f"{what}: {s.title} is unusual for this time of the week",
                f"The {s.title} of {_where(s, service)} is more than {number(z.z)} standard deviations "
                f"{'above' if s.higher_is_worse else 'below'} the same time in the last {z.weeks} weeks.",
            )
        if s.regression is not None:
            r = s.regression
            factor = 1 + r.tolerance if s.higher_is_worse else 1 - r.tolerance
            alert(
                REGRESSION, f"{current}\n{worse} {baseline(s, sel, r.baseline)} * {number(factor)}\n", r.for_,
                f"{what}: {s.title} regressed against its {r.baseline} baseline",
                f"The {s.title} of {_where(s, service)} is more than {_percent(r.tolerance)} worse than its {r.baseline} baseline.",
            )
    return out


def budget_rules(org: Organisation, team: Team, service: Service, budget: Budget) -> list[dict]:
    """Recordings and alerts of one budget."""
    labels = recording_labels(team, service, budget)
    records: list[dict] = []
    for s in signals(budget, service, labels):
        records.extend(s.helpers)
        records.append({"record": s.record, "expr": s.expr(), "labels": labels})
    return records + [rule for _, rule in budget_alerts(org, team, service, budget)]


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
