"""Behaviour tests for every performance budget, run by `promtool test rules` and `vmalert-tool unittest` against
the shipped rule files.

* bounds, and shares for the shares of time (they need a day or more of test time): two runs each. In the first
  every fixed bound is kept just inside, in the second broken just past:
  - a percentile limit ("95% under 2.5s"): a histogram with a bucket at the limit holding a quarter of the
    allowed tail more (inside) or less (past) than the percentile, e.g. 96.25% or 93.75% of observations;
  - an error rate: 10% under or over its limit (0.09% or 0.11% against 0.1%);
  - a share of time ("85% of the time under 70%"): the utilisation a little over its level (72%) for a block of
    the window a few points of time shorter or longer than the budget allows, and over it before the window too,
    so a window longer or shorter than the budget's would change the verdict.
  Nothing fires in the first run; exactly the breach alerts fire in the second. Each verdict is arithmetic on the
  series written (bucket counts, failed over all requests, evaluations over the level inside the window) against
  the catalog's own numbers, not a reading of the rule.
* history (when a limit has a regression check, a seasonal threshold or a throughput baseline): weeks of normal,
  hour-by-hour varying traffic (nothing fires), then the history-judged signals degrade and exactly their
  regression, anomaly and throughput alerts fire; throughput drops just past its share of the baseline. A second
  run drops throughput just inside that share: its breach stays quiet.

Input series are built backwards from the values each signal must show: histogram buckets whose quantile is
the target, request counters whose ratio and rate are the targets, node and container counters and gauges whose
utilisation is the target.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from model.base import Duration
from model.budgets import Budget
from model.catalog import Organisation, Service, Team
from model.promql import Selector, example_labels, labels_inside_not
from behaviour import series
from render.rules import budgets
from render.rules.budgets import ContainerMemory, Histogram, NodeUtilisation, Requests, Signal

MINUTE = series.INTERVAL_MS
HOUR = 60 * MINUTE
WEEK = 7 * 24 * HOUR
RATE = 10.0
"""Events (requests, observations) per second in the tests."""
MEMORY = 8e9
NODE = "node-1:9100"
"""The `instance` of the one node (node-exporter target) the tests feed."""
JUST = 0.1
"""How far past or inside a bound a value sits in the bounds test, relative to the bound (error rates)."""


GenerationError = series.GenerationError
"""Raised where a budget's signals cannot be driven to the values a test needs."""


Timeline = list[tuple[int, float]]
"""(minutes, value) segments from minute 0."""
Alert = tuple[Signal, dict]


@dataclass(frozen=True)
class Plan:
    """What every signal shows over a test, as segments of constant value."""

    values: dict[str, Timeline]
    minutes: int

    def at(self, key: str, t: int) -> float:
        """The value a signal shows to an evaluation at `t` (the segment that ended there)."""
        minute, elapsed = t // MINUTE - 1, 0
        for length, value in self.values[key]:
            if minute < elapsed + length:
                return value
            elapsed += length
        return self.values[key][-1][1]


# --- Input series ---------------------------------------------------------------------------------------------


def _labels(selector: Selector) -> dict[str, str]:
    labels = example_labels(selector)
    if labels is None:
        raise GenerationError(f"no series satisfies {selector}")
    return labels


def _histogram_series(src: Histogram, timeline: Timeline) -> list[dict]:
    """Buckets at a low bound B and a high bound C (and +Inf) whose quantile moves through every target."""
    q, targets = src.quantile, [v for _, v in timeline]
    low = float(series.fmt(min(targets) / q))
    top = max(targets)
    high = float(series.fmt(low + (top - low) / q * 1.5 if top > low else 2 * low))
    per_minute = RATE * 60

    def share_under_low(v: float) -> float:
        # histogram_quantile interpolates linearly inside the bucket holding rank q.
        if v <= low:
            return min(1.0, q * low / v)
        r = (v - low) / (high - low)
        return max(0.0, (q - r) / (1 - r))

    return _buckets(src, [(low, [(m, per_minute * share_under_low(v)) for m, v in timeline]), (high, [(m, per_minute) for m, _ in timeline])])


def _buckets(src: Histogram, bounds: list[tuple[float, Timeline]]) -> list[dict]:
    """Cumulative bucket counters at the given bounds (per-minute increases), and +Inf counting everything."""
    base = _labels(Selector(src.metric + "_bucket", src.matchers))
    bucket = src.metric + "_bucket"
    everything = bounds[-1][1]
    return [
        {"series": series.series_name(bucket, {**base, "le": series.fmt(le)}), "values": series.counter(increases)}
        for le, increases in bounds
    ] + [{"series": series.series_name(bucket, {**base, "le": "+Inf"}), "values": series.counter(everything)}]


def _requests_series(src: Requests, rate: Timeline, errors: Timeline) -> list[dict]:
    """Failed and other requests whose total rate and failed share follow the two timelines."""
    total = Selector(src.metric + "_count", src.matchers)
    failing = total.with_matchers(*Selector.parse(f'x{{{src.status_label}=~"{src.error_status}"}}').matchers)
    bad = _labels(failing)
    good = labels_inside_not(total, failing)
    if good is None:
        raise GenerationError(f"every series of {total} is a failure")
    pairs = [(m, r, e) for (m, r), (_, e) in zip(_aligned(rate, errors), _aligned(errors, rate), strict=True)]
    return [
        {"series": series.series_name(total.metric, bad), "values": series.counter([(m, r * e * 60) for m, r, e in pairs])},
        {"series": series.series_name(total.metric, good), "values": series.counter([(m, r * (1 - e) * 60) for m, r, e in pairs])},
    ]


def _aligned(a: Timeline, b: Timeline) -> Timeline:
    """`a` cut at every boundary of either timeline, so two timelines can be zipped segment by segment."""
    cuts = sorted({*_ends(a), *_ends(b)})
    out, start = [], 0
    for end in cuts:
        out.append((end - start, _value_at(a, start)))
        start = end
    return out


def _ends(t: Timeline) -> list[int]:
    out, total = [], 0
    for m, _ in t:
        total += m
        out.append(total)
    return out


def _value_at(t: Timeline, minute: int) -> float:
    elapsed = 0
    for m, v in t:
        if minute < elapsed + m:
            return v
        elapsed += m
    return t[-1][1]


def _node_series(src: NodeUtilisation, timeline: Timeline) -> list[dict]:
    """node-exporter series of one node whose utilisation follows the timeline."""
    labels = {**_labels(Selector("x", src.matchers)), "instance": NODE}
    if src.resource == "cpu":
        return [{"series": series.series_name("node_cpu_seconds_total", {**labels, "cpu": "0", "mode": "idle"}),
                 "values": series.counter([(m, (1 - u) * 60) for m, u in timeline])}]
    if src.resource == "memory":
        return [
            {"series": series.series_name("node_memory_MemTotal_bytes", labels), "values": series.gauge([(m, MEMORY) for m, _ in timeline])},
            {"series": series.series_name("node_memory_MemAvailable_bytes", labels), "values": series.gauge([(m, (1 - u) * MEMORY) for m, u in timeline])},
        ]
    return [{"series": series.series_name("node_disk_io_time_seconds_total", {**labels, "device": "sda"}),
             "values": series.counter([(m, u * 60) for m, u in timeline])}]


def _container_series(src: ContainerMemory, timeline: Timeline) -> list[dict]:
    """cAdvisor series of one container whose memory utilisation follows the timeline."""
    labels = _labels(Selector("x", src.matchers))
    return [
        {"series": series.series_name(src.limit, labels), "values": series.gauge([(m, MEMORY) for m, _ in timeline])},
        {"series": series.series_name(src.used, labels), "values": series.gauge([(m, u * MEMORY) for m, u in timeline])},
    ]


def input_series(sigs: list[Signal], plan: Plan, at_limit: dict[str, tuple[float, float]] | None = None) -> list[dict]:
    """Every raw series the budget's signals read, driven by the plan. A histogram named in `at_limit` (bound,
    share) gets a bucket at the bound holding that share of the observations instead of following the plan."""
    out: list[dict] = []
    at_limit = at_limit or {}
    requests = [s for s in sigs if isinstance(s.source, Requests)]
    if requests:
        first = next(iter(plan.values.values()))
        rate = plan.values.get("throughput") or [(m, RATE) for m, _ in first]
        errors = plan.values.get("error_rate") or [(m, 0.001) for m, _ in first]
        out += _requests_series(requests[0].source, rate, errors)
    done: set[str] = set()
    for s in sigs:
        if s.key in done:
            continue
        done.add(s.key)
        if isinstance(s.source, Histogram) and s.key in at_limit:
            bound, share = at_limit[s.key]
            per_minute = RATE * 60
            out += _buckets(s.source, [(bound, [(plan.minutes, per_minute * share)]), (bound * 1.1, [(plan.minutes, per_minute)])])
        elif isinstance(s.source, Histogram):
            out += _histogram_series(s.source, plan.values[s.key])
        elif isinstance(s.source, NodeUtilisation):
            out += _node_series(s.source, plan.values[s.key])
        elif isinstance(s.source, ContainerMemory):
            out += _container_series(s.source, plan.values[s.key])
    return out


# --- Values ---------------------------------------------------------------------------------------------------


def base_value(s: Signal) -> float:
    """A comfortable, normal value of the signal: half its bound, or a typical level without one."""
    if s.throughput is not None:
        return RATE
    if s.level is not None or s.utilisation is not None:
        limit = s.level or s.utilisation
        # Low enough that a regression can double it and still stay under the level: the share stays whole.
        return limit.under / 2 / (1 + (limit.regression.tolerance if limit.regression else 0))
    if s.bound is not None:
        return s.bound / 2
    return {"seconds": 0.5, "score": 0.05, "ratio": 0.002}.get(s.unit, 0.5)


def history_judged(s: Signal) -> bool:
    return s.regression is not None or s.seasonal is not None or s.throughput is not None


def swing(s: Signal) -> float:
    """How much a signal moves hour to hour in normal traffic, relative to its level: enough for a spread,
    well inside any regression tolerance and any throughput margin."""
    tolerances = [s.regression.tolerance] if s.regression else []
    if s.throughput is not None:
        tolerances.append((1 - s.throughput.min_of_baseline) / 2)
    return min([0.05] + [t / 4 for t in tolerances])


def throughput_margin(s: Signal) -> float:
    """How far inside or past its share of the baseline throughput is driven: a fifth of the allowed drop."""
    return (1 - s.throughput.min_of_baseline) / 5


def degraded_value(s: Signal) -> float:
    """A value every history check of the signal must call worse."""
    base = base_value(s)
    if s.throughput is not None:
        return base * (s.throughput.min_of_baseline - throughput_margin(s))
    if s.level is not None:
        # Worse than any tolerance allows, yet under the level: the share-of-time budget is not what this tests.
        return s.level.under * 0.9
    value = base * 2 * (1 + (s.regression.tolerance if s.regression else 0))
    if s.seasonal is not None:
        value = max(value, base * (1 + 40 * swing(s)))
    if s.bound is not None:
        value = max(value, s.bound * 1.5)
    return min(value, 0.9) if s.unit == "ratio" else value


# --- Expected alerts ------------------------------------------------------------------------------------------


@dataclass
class Judge:
    """Whether an alert rule fires at a moment, from the plan and the rule's signal."""

    plan: Plan
    step: int

    def _recorded(self, key: str, t: int, span: int) -> list[list[float]]:
        """The samples of a signal's recording a range function sees at `t`: Prometheus includes the one made at
        `t`, VictoriaMetrics (querying 30s back) the one made a range earlier instead."""
        prom = [self.plan.at(key, s) for s in range(t - span + self.step, t + 1, self.step) if s >= 2 * MINUTE]
        vm = [self.plan.at(key, s) for s in range(t - span, t, self.step) if s >= 2 * MINUTE]
        return [v for v in (prom, vm) if v]

    def condition(self, s: Signal, rule: dict, t: int) -> bool | None:
        now = self.plan.at(s.key, t)
        name = rule["alert"]
        if name == budgets.BREACH and s.throughput is not None:
            return self._compare(now, self._baseline(s, s.throughput.baseline, t), s.throughput.min_of_baseline, higher_worse=False)
        if name == budgets.BREACH:
            if s.utilisation is not None:
                return self._share(s, t)
            return _certain(now > s.bound, now, s.bound)
        if name == budgets.REGRESSION:
            factor = 1 + s.regression.tolerance if s.higher_is_worse else 1 - s.regression.tolerance
            return self._compare(now, self._baseline(s, s.regression.baseline, t), factor, s.higher_is_worse)
        if name == budgets.ANOMALY:
            return self._anomaly(s, t, now)
        raise GenerationError(f"no model for alert {name}")

    def _baseline(self, s: Signal, kind: str, t: int) -> list[float] | None:
        if kind == "same-hour-last-week":
            return [self.plan.at(s.key, t - WEEK)] if t - WEEK >= 2 * MINUTE else None
        samples = self._recorded(s.key, t, WEEK)
        if not samples:
            return None
        # quantile_over_time interpolates between the two middle samples; the tools may differ on which those are.
        return [v for xs in samples for v in (statistics.median(xs), statistics.median_low(xs), statistics.median_high(xs))]

    @staticmethod
    def _compare(now: float, baseline: list[float] | None, factor: float, higher_worse: bool) -> bool | None:
        if baseline is None:
            return False
        verdicts = {(now > b * factor) if higher_worse else (now < b * factor) for b in baseline}
        close = any(abs(now - b * factor) <= 1e-6 * max(abs(now), 1e-12) for b in baseline)
        return None if close or len(verdicts) > 1 else verdicts.pop()

    def _share(self, s: Signal, t: int) -> bool | None:
        limit = s.utilisation
        shares = []
        for lag in (0, 2 * self.step):
            # The share reads the under-target flag, which reads the utilisation: each may lag an evaluation.
            samples = [self.plan.at(s.key, x) < limit.under for x in range(0, t - lag + 1, self.step)
                       if x > t - lag - limit.over.milliseconds and x >= 2 * MINUTE]
            if samples:
                shares.append(sum(samples) / len(samples))
        if not shares:
            return None
        verdicts = {share < limit.share for share in shares}
        return None if len(verdicts) > 1 else verdicts.pop()

    def _anomaly(self, s: Signal, t: int, now: float) -> bool | None:
        weeks = s.seasonal.weeks
        if t - weeks * WEEK < 2 * MINUTE:
            return False
        mean = sum(self.plan.at(s.key, t - k * WEEK) for k in range(1, weeks + 1)) / weeks
        verdicts = set()
        for samples in self._recorded(s.key, t, WEEK):
            spread = statistics.pstdev(samples)
            if spread == 0:
                return None
            z = ((now - mean) if s.higher_is_worse else (mean - now)) / spread
            if abs(z - s.seasonal.z) < 0.05 * s.seasonal.z:
                return None
            verdicts.add(z > s.seasonal.z)
        return None if len(verdicts) != 1 else verdicts.pop()

    def firing(self, s: Signal, rule: dict, t: int) -> bool | None:
        return series.firing(lambda x: self.condition(s, rule, x), t, _for(rule), self.step)


def _for(rule: dict) -> int:
    return Duration.parse(rule["for"]).milliseconds if "for" in rule else 0


def _certain(verdict: bool, now: float, bound: float) -> bool | None:
    return None if abs(now - bound) <= 1e-6 * max(abs(bound), 1e-12) else verdict


def _expected(s: Signal, rule: dict) -> dict:
    """The alert as both tools report it: the rule's labels and annotations, plus the labels the signal keeps."""
    labels = dict(rule["labels"])
    annotations = dict(rule["annotations"])
    if s.by == budgets.PER_NODE:
        labels["instance"] = NODE
        annotations = {k: v.replace("{{ $labels.instance }}", NODE) for k, v in annotations.items()}
    return {"exp_labels": labels, "exp_annotations": annotations}


def _checks(verdict, alerts: list[Alert], t: int, where: str) -> list[dict]:
    out = []
    for name in sorted({rule["alert"] for _, rule in alerts}):
        exp = []
        for s, rule in alerts:
            if rule["alert"] != name:
                continue
            state = verdict(s, rule, t)
            if state is None:
                raise GenerationError(f"{where}: {name} for {s.key} is not certain at {series.duration(t)}")
            if state:
                exp.append(_expected(s, rule))
        out.append({"eval_time": series.duration(t), "alertname": name, "exp_alerts": exp})
    return out


# --- Bounds: just inside, just past ---------------------------------------------------------------------------


def _unique(alerts: list[Alert]) -> list[Signal]:
    out: list[Signal] = []
    for s, _ in alerts:
        if s not in out:
            out.append(s)
    return out


def _bound_of(budget: Budget, s: Signal) -> float:
    """A limit as the catalog gives it, read from the budget itself: seconds, a score or a share."""
    limit = getattr(budget, s.key)
    if s.utilisation is not None:
        return limit.share
    value = limit.max
    return value.milliseconds / 1000 if isinstance(value, Duration) else float(value)


@dataclass(frozen=True)
class _ShareLayout:
    """A utilisation over its level from the start until `change`, under it after: `block` into the signal's
    window, or (without a block) far enough before the window that no evaluation inside it sees the change."""

    over: int
    window_start: int
    block: int
    high: float
    low: float
    settle: int

    @property
    def change(self) -> int:
        return self.window_start + self.block if self.block else self.window_start - self.settle

    def timeline(self, minutes: int) -> Timeline:
        over_until = self.change // MINUTE
        return [(over_until, self.high), (minutes - over_until, self.low)]


def _share_verdict(layout: _ShareLayout, t: int, step: int, target: float) -> bool | None:
    """Whether the share of evaluations inside the window that saw the utilisation under its level falls short
    of the budget, counting those whose rate window or lag straddles the change both ways."""
    change = layout.change
    under = unsure = total = 0
    for x in range(0, t + 1, step):
        if x <= t - layout.over or x < 2 * MINUTE:
            continue
        total += 1
        if change - 2 * step <= x <= change + layout.settle:
            unsure += 1
        elif x > change:
            under += 1
    verdicts = {share < target for n in (total - 1, total, total + 1) for share in (under / n, min(1.0, (under + unsure) / n))}
    return None if len(verdicts) > 1 else verdicts.pop()


def bounds_test(team: Team, service: Service, budget: Budget, alerts: list[Alert], shares_only: bool = False) -> dict | None:
    """Every fixed bound (or, with `shares_only`, every share of time) just inside its budget (nothing fires),
    then just past it (exactly those breach alerts fire); the budget's other signals get no series, so their
    alerts stay quiet. Shares need a day or more of test time, so they have a file of their own."""
    sigs = _unique(alerts)
    bounded = [s for s in sigs if s.bound is not None and s.throughput is None and (s.utilisation is not None) == shares_only]
    if not bounded:
        return None
    shares = [s for s in bounded if s.utilisation is not None]
    longest = max((s.utilisation.over.milliseconds for s in shares), default=0)
    # Each evaluation of a share reads the flag recorded from the utilisation: vmalert only sees a recording made
    # within its 5m lookback, so steps stay under it.
    step = MINUTE if longest <= 6 * HOUR else 4 * MINUTE
    settle = ((max(s.for_.milliseconds for s in bounded) + budget.window.milliseconds) // MINUTE + 5) * MINUTE
    t = max(settle, longest + max(longest // 4, 30 * MINUTE) + max((s.for_.milliseconds for s in shares), default=0))
    t = -(-t // step) * step
    minutes = t // MINUTE + 1
    where = f"budget {budget.name} of {service.name}"
    groups = []
    for past in (False, True):
        plan, at_limit, verdicts = _bounds_plan(budget, bounded, sigs, minutes, t, step, past, where)
        judge = Judge(plan, step)

        def verdict(s: Signal, rule: dict, x: int, verdicts=verdicts, judge=judge) -> bool | None:
            # A bounded signal holds its value (or, for a share, its side of the budget) from the first
            # evaluation on, so its breach has waited out its `for` by `t`; the rest must stay quiet.
            if rule["alert"] == budgets.BREACH and s in verdicts:
                return verdicts[s]
            return judge.firing(s, rule, x)

        checks = _checks(verdict, alerts, t, where)
        # Only the bounded signals' series: the budget's other alerts have nothing to read, and stay quiet.
        fed = [s for s in sigs if s.key in {b.key for b in bounded}]
        groups.append({"interval": "1m", "input_series": input_series(fed, plan, at_limit), "alert_rule_test": checks})
        fired = {a["exp_labels"]["signal"] for c in checks for a in c["exp_alerts"] if c["alertname"] == budgets.BREACH}
        others = [a for c in checks if c["alertname"] != budgets.BREACH for a in c["exp_alerts"]]
        if others or fired != ({s.key for s in bounded} if past else set()):
            raise GenerationError(f"{where}: {'past' if past else 'inside'} its bounds, exactly the breaches must fire")
    return _test_file(service, budget, step, groups)


def shares_test(team: Team, service: Service, budget: Budget, alerts: list[Alert]) -> dict | None:
    """Every share of time just inside its budget, then just past it."""
    return bounds_test(team, service, budget, alerts, shares_only=True)


def _bounds_plan(budget, bounded, sigs, minutes, t, step, past, where):
    """The plan of one bounds run, the bucket shares of its percentile limits and each breach's verdict."""
    values: dict[str, Timeline] = {}
    at_limit: dict[str, tuple[float, float]] = {}
    verdicts: dict[Signal, bool] = {}
    for s in bounded:
        bound = _bound_of(budget, s)
        if isinstance(s.source, Histogram):
            q = s.source.quantile
            share = q - (1 - q) / 4 if past else q + (1 - q) / 4
            at_limit[s.key] = (bound, share)
            # The histogram holds `share` of the observations at or under the bound: its q-quantile is above the
            # bound exactly when fewer than q of them are.
            verdicts[s] = share < q
            inside_value = bound * q / share
            values[s.key] = [(minutes, bound * (1 + 0.1 * (q - share) / (1 - share)) if past else inside_value)]
        elif s.utilisation is not None:
            values[s.key], verdicts[s] = _share_plan(s, minutes, t, step, budget.window.milliseconds, past, where)
        else:
            error = bound * (1 + JUST) if past else bound * (1 - JUST)
            values[s.key] = [(minutes, error)]
            verdicts[s] = error > bound
    for s in sigs:
        values.setdefault(s.key, [(minutes, base_value(s))])
    return Plan(values, minutes), at_limit, verdicts


def _share_plan(s: Signal, minutes: int, t: int, step: int, rate_window: int, past: bool, where: str) -> tuple[Timeline, bool]:
    """A utilisation just over its level for a block of the window that leaves the share of time under it a few
    points inside or past the budget; the margin grows until the verdict is certain for both tools."""
    limit = s.utilisation
    over = limit.over.milliseconds
    gap = min(0.02, limit.under / 4, (1 - limit.under) / 4)
    for points in range(2, 50):
        margin = points / 100
        share = max(0.0, limit.share - margin) if past else min(1.0, limit.share + margin)
        block = round((1 - share) * over / step) * step
        # An evaluation sees the change late by its rate window and two evaluations of lag.
        settle = -(-(rate_window + 2 * step + MINUTE) // MINUTE) * MINUTE
        layout = _ShareLayout(over, t - over, block, limit.under + gap, limit.under - gap, settle)
        verdict = _share_verdict(layout, t, step, limit.share)
        if verdict is not None:
            return layout.timeline(minutes), verdict
    raise GenerationError(f"{where}: no share of time near {limit.share} gives a certain verdict for {s.key}")


# --- History --------------------------------------------------------------------------------------------------


def history_test(team: Team, service: Service, budget: Budget, alerts: list[Alert]) -> dict | None:
    """Weeks of normal traffic (nothing fires), then the history-judged signals degrade (their alerts fire);
    with a throughput limit, a second run where throughput drops only just inside its share of the baseline."""
    sigs = _unique(alerts)
    judged = [s for s in sigs if history_judged(s)]
    if not judged:
        return None
    step = HOUR
    weeks = max([s.seasonal.weeks for s in judged if s.seasonal] + [1])
    history = weeks * WEEK + 2 * HOUR
    pending = max(_for(r) for _, r in alerts)
    degraded = (pending // HOUR + 3) * HOUR
    hours = (history + degraded) // HOUR
    where = f"budget {budget.name} of {service.name}"

    def timeline(s: Signal, worse: float | None) -> Timeline:
        base, amp = base_value(s), swing(s)
        normal = [(60, base * (1 + amp if h % 2 else 1 - amp)) for h in range(history // HOUR)]
        after = normal[-1][1] if worse is None else worse
        return normal + [(60, after)] * (hours - history // HOUR)

    def plan_of(worse: dict[Signal, float]) -> dict[str, Timeline]:
        # A utilisation limit's two signals read one series: the judged one (the utilisation) drives it.
        drivers = {s.key: s for s in sigs if s.key not in {j.key for j in judged} or s in judged}
        return {key: timeline(s, worse.get(s)) for key, s in drivers.items()}

    runs = [plan_of({s: degraded_value(s) for s in judged})]
    throughput = next((s for s in judged if s.throughput is not None), None)
    if throughput is not None:
        inside = base_value(throughput) * (throughput.throughput.min_of_baseline + throughput_margin(throughput))
        runs.append(plan_of({throughput: inside}))
    groups = []
    for i, values in enumerate(runs):
        plan = Plan(values, hours * 60)
        judge = Judge(plan, step)
        checks = _checks(judge.firing, alerts, history, where) + _checks(judge.firing, alerts, history + degraded, where)
        names = len(checks) // 2
        if any(c["exp_alerts"] for c in checks[:names]):
            raise GenerationError(f"{where}: normal traffic must leave every alert quiet")
        breach = [a for c in checks[names:] if c["alertname"] == budgets.BREACH for a in c["exp_alerts"]
                  if a["exp_labels"]["signal"] == "throughput"]
        if throughput is not None and bool(breach) != (i == 0):
            raise GenerationError(f"{where}: throughput {'past' if i == 0 else 'inside'} its share of the baseline must "
                                  f"{'' if i == 0 else 'not '}breach")
        groups.append({"interval": "1m", "input_series": input_series(sigs, plan), "alert_rule_test": checks})
    return _test_file(service, budget, step, groups)


# --- Test files -----------------------------------------------------------------------------------------------


def _test_file(service: Service, budget: Budget, step: int, groups: list[dict]) -> dict:
    return {"rule_files": [f"../rules/{budgets.file_name(service, budget)}"], "evaluation_interval": series.duration(step), "tests": groups}


def budget_rule_tests(org: Organisation) -> dict[str, dict]:
    """Test files for every budget: its bounds and, where it judges by history, its history."""
    out = {}
    for ti, team in enumerate(org.teams):
        for si, service in enumerate(team.services):
            for bi, budget in enumerate(service.budgets):
                alerts = budgets.budget_alerts(org, team, service, budget)
                stem = budgets.group_name(service, budget)
                for kind, make in (("bounds", bounds_test), ("shares", shares_test), ("history", history_test)):
                    try:
                        test = make(team, service, budget, alerts)
                    except GenerationError as exc:
                        raise GenerationError(str(exc), ("teams", ti, "services", si, "budgets", bi)) from None
                    if test is not None:
                        out[f"{stem}-{kind}.yaml"] = test
    return out
