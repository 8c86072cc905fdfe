"""Behaviour tests for every performance budget, run by `promtool test rules` and `vmalert-tool unittest` against
the shipped rule files.

* bounds: every signal within its budget (nothing fires), then, in a second run, every fixed bound and time
  share broken (exactly those breach alerts fire).
* history (when a limit has a regression check, a seasonal threshold or a throughput baseline): weeks of normal,
  hour-by-hour varying traffic (nothing fires), then the history-judged signals degrade and exactly their
  regression, anomaly and throughput alerts fire.

Input series are built backwards from the values each signal must show: histogram buckets whose quantile is
the target, request counters whose ratio and rate are the targets, node counters and gauges whose utilisation is
the target. Expected alerts come from the same values and the alert rules' own thresholds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from model.budgets import Budget
from model.catalog import Organisation, Service, Team
from model.promql import Selector, example_labels, labels_inside_not
from render import budgets, series
from render.budgets import Histogram, NodeUtilisation, Requests, Signal

MINUTE = series.INTERVAL_MS
HOUR = 60 * MINUTE
WEEK = 7 * 24 * HOUR
RATE = 10.0
"""Events (requests, observations) per second in the tests."""
MEMORY = 8e9


class GenerationError(Exception):
    """A budget's signals cannot be driven to the values a test needs."""


Timeline = list[tuple[int, float]]
"""(minutes, value) segments from minute 0."""


@dataclass(frozen=True)
class Plan:
    """What every signal shows over a test, as hour-aligned segments of constant value."""

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

    base = _labels(Selector(src.metric + "_bucket", src.matchers))
    bucket = src.metric + "_bucket"
    return [
        {"series": series.series_name(bucket, {**base, "le": series.fmt(low)}),
         "values": series.counter([(m, per_minute * share_under_low(v)) for m, v in timeline])},
        {"series": series.series_name(bucket, {**base, "le": series.fmt(high)}), "values": series.counter([(m, per_minute) for m, _ in timeline])},
        {"series": series.series_name(bucket, {**base, "le": "+Inf"}), "values": series.counter([(m, per_minute) for m, _ in timeline])},
    ]


def _requests_series(src: Requests, rate: Timeline, errors: Timeline) -> list[dict]:
    """Failed and other requests whose total rate and failed share follow the two timelines."""
    total = Selector(src.metric + "_count", src.matchers)
    failing = total.with_matchers(*Selector.parse(f'x{{{src.status_label}=~"{src.error_status}"}}').matchers)
    bad = _labels(failing)
    good = labels_inside_not(total, failing)
    if good is None:
        raise GenerationError(f"every series of {total} is a failure")
    pairs = [(m, r, e) for (m, r), (_, e) in zip(rate, errors, strict=True)]
    return [
        {"series": series.series_name(total.metric, bad), "values": series.counter([(m, r * e * 60) for m, r, e in pairs])},
        {"series": series.series_name(total.metric, good), "values": series.counter([(m, r * (1 - e) * 60) for m, r, e in pairs])},
    ]


def _node_series(src: NodeUtilisation, timeline: Timeline) -> list[dict]:
    """node-exporter series whose utilisation follows the timeline."""
    labels = _labels(Selector("x", src.matchers))
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


def input_series(sigs: list[Signal], plan: Plan) -> list[dict]:
    """Every raw series the budget's signals read, driven by the plan."""
    out: list[dict] = []
    requests = {s.key: s for s in sigs if isinstance(s.source, Requests)}
    if requests:
        src = next(iter(requests.values())).source
        rate = plan.values.get("throughput") or [(m, RATE) for m, _ in next(iter(plan.values.values()))]
        errors = plan.values.get("error_rate") or [(m, 0.001) for m, _ in rate]
        out += _requests_series(src, rate, errors)
    for s in sigs:
        if isinstance(s.source, Histogram):
            out += _histogram_series(s.source, plan.values[s.key])
        elif isinstance(s.source, NodeUtilisation):
            out += _node_series(s.source, plan.values[s.key])
    return out


# --- Values ---------------------------------------------------------------------------------------------------


def base_value(s: Signal) -> float:
    """A comfortable, normal value of the signal: half its bound, or a typical level without one."""
    if s.throughput is not None:
        return RATE
    if s.bound is not None and s.utilisation is None:
        return s.bound / 2
    return {"seconds": 0.5, "score": 0.05, "ratio": 0.002}.get(s.unit, 0.5)


def pass_value(s: Signal) -> float:
    if s.utilisation is not None:
        return s.utilisation.under / 2
    return base_value(s)


def breach_value(s: Signal) -> float:
    if s.utilisation is not None:
        return s.utilisation.under + (1 - s.utilisation.under) / 2
    if s.unit == "ratio":
        return min(0.9, s.bound * 3)
    return s.bound * 2


def history_judged(s: Signal) -> bool:
    return s.regression is not None or s.seasonal is not None or s.throughput is not None


def swing(s: Signal) -> float:
    """How much a signal moves hour to hour in normal traffic, relative to its level: enough for a spread,
    well inside any regression tolerance."""
    tolerances = [s.regression.tolerance] if s.regression else []
    if s.throughput is not None:
        tolerances.append(1 - s.throughput.min_of_baseline)
    return min([0.05] + [t / 4 for t in tolerances])


def degraded_value(s: Signal) -> float:
    """A value every history check of the signal must call worse."""
    base = base_value(s)
    if s.throughput is not None:
        return base * s.throughput.min_of_baseline / 2
    value = base * 2 * (1 + (s.regression.tolerance if s.regression else 0))
    if s.seasonal is not None:
        value = max(value, base * (1 + 40 * swing(s)))
    if s.bound is not None:
        value = max(value, s.bound * 1.5)
    return min(value, 0.9) if s.unit == "ratio" else value


# --- Expected alerts ------------------------------------------------------------------------------------------


@dataclass
class Judge:
    """Whether each alert rule of a budget fires at a moment, from the plan and the rules' thresholds."""

    sigs: dict[str, Signal]
    plan: Plan
    step: int

    def _recorded(self, key: str, t: int, span: int) -> list[list[float]]:
        """The samples of a signal's recording a range function sees at `t`: Prometheus includes the one made at
        `t`, VictoriaMetrics (querying 30s back) the one made a range earlier instead."""
        prom = [self.plan.at(key, s) for s in range(t - span + self.step, t + 1, self.step) if s >= 2 * MINUTE]
        vm = [self.plan.at(key, s) for s in range(t - span, t, self.step) if s >= 2 * MINUTE]
        return [v for v in (prom, vm) if v]

    def condition(self, rule: dict, t: int) -> bool | None:
        s = self.sigs[rule["labels"]["signal"]]
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

    def firing(self, rule: dict, t: int) -> bool | None:
        return series.firing(lambda x: self.condition(rule, x), t, _for(rule), self.step)


def _for(rule: dict) -> int:
    from model.base import Duration

    return Duration.parse(rule["for"]).milliseconds if "for" in rule else 0


def _certain(verdict: bool, now: float, bound: float) -> bool | None:
    return None if abs(now - bound) <= 1e-6 * max(abs(bound), 1e-12) else verdict


def _checks(judge: Judge, rules: dict[str, list[dict]], t: int, names: list[str], where: str) -> list[dict]:
    out = []
    for name in names:
        exp = []
        for rule in rules.get(name, []):
            state = judge.firing(rule, t)
            if state is None:
                raise GenerationError(f"{where}: {name} for {rule['labels']['signal']} is not certain at {series.duration(t)}")
            if state:
                exp.append({"exp_labels": _labels_of(rule), "exp_annotations": rule["annotations"]})
        out.append({"eval_time": series.duration(t), "alertname": name, "exp_alerts": exp})
    return out


def _labels_of(rule: dict) -> dict[str, str]:
    return dict(rule["labels"])


# --- Test files -----------------------------------------------------------------------------------------------


def _constant(sigs: list[Signal], minutes: int, value) -> Plan:
    return Plan({s.key: [(minutes, value(s))] for s in sigs}, minutes)


def _test_file(service: Service, budget: Budget, step: int, groups: list[dict]) -> dict:
    return {"rule_files": [f"../rules/{budgets.file_name(service, budget)}"], "evaluation_interval": series.duration(step), "tests": groups}


def bounds_test(team: Team, service: Service, budget: Budget, sigs: list[Signal], rules: dict) -> dict | None:
    """Within budget nothing fires; past every fixed bound and time share exactly those breaches fire."""
    bounded = [s for s in sigs if s.throughput is None and (s.utilisation is not None or (s.seasonal is None and s.bound is not None))]
    if not bounded:
        return None
    step = MINUTE
    t = ((max(s.for_.milliseconds for s in bounded) + budget.window.milliseconds) // MINUTE + 5) * MINUTE
    minutes = t // MINUTE + 1
    where = f"budget {budget.name} of {service.name}"
    names = sorted({budgets.BREACH, *(n for n in rules if n != budgets.BREACH)})
    groups = []
    for plan in (
        _constant(sigs, minutes, pass_value),
        _constant(sigs, minutes, lambda s: breach_value(s) if s in bounded else pass_value(s)),
    ):
        judge = Judge({s.key: s for s in sigs}, plan, step)
        groups.append({"interval": "1m", "input_series": input_series(sigs, plan), "alert_rule_test": _checks(judge, rules, t, names, where)})
    if groups[1]["alert_rule_test"][names.index(budgets.BREACH)]["exp_alerts"] == []:
        raise GenerationError(f"{where}: breaking every bound must fire a breach")
    return _test_file(service, budget, step, groups)


def history_test(team: Team, service: Service, budget: Budget, sigs: list[Signal], rules: dict) -> dict | None:
    """Weeks of normal traffic (nothing fires), then the history-judged signals degrade (their alerts fire)."""
    judged = [s for s in sigs if history_judged(s)]
    if not judged:
        return None
    step = HOUR
    weeks = max([s.seasonal.weeks for s in judged if s.seasonal] + [1])
    history = weeks * WEEK + 2 * HOUR
    pending = max(_for(r) for rs in rules.values() for r in rs)
    degraded = (pending // HOUR + 3) * HOUR
    hours = (history + degraded) // HOUR

    def timeline(s: Signal) -> Timeline:
        base, amp = base_value(s), swing(s)
        normal = [(60, base * (1 + amp if h % 2 else 1 - amp)) for h in range(history // HOUR)]
        if s.utilisation is not None:
            normal = [(60, pass_value(s)) for _ in range(history // HOUR)]
        worse = degraded_value(s) if s in judged else normal[-1][1]
        return normal + [(60, worse)] * (hours - history // HOUR)

    plan = Plan({s.key: timeline(s) for s in sigs}, hours * 60)
    judge = Judge({s.key: s for s in sigs}, plan, step)
    where = f"budget {budget.name} of {service.name}"
    names = sorted(rules)
    checks = _checks(judge, rules, history, names, where) + _checks(judge, rules, history + degraded, names, where)
    if any(c["exp_alerts"] for c in checks[: len(names)]):
        raise GenerationError(f"{where}: normal traffic must leave every alert quiet")
    return _test_file(service, budget, step, [{"interval": "1m", "input_series": input_series(sigs, plan), "alert_rule_test": checks}])


def budget_rule_tests(org: Organisation) -> dict[str, dict]:
    """Test files for every budget: its bounds and, where it judges by history, its history."""
    out = {}
    for team in org.teams:
        for service in team.services:
            for budget in service.budgets:
                labels = budgets.recording_labels(team, service, budget)
                sigs = budgets.signals(budget, service, labels)
                rules: dict[str, list[dict]] = {}
                for rule in budgets.budget_rules(org, team, service, budget):
                    if "alert" in rule:
                        rules.setdefault(rule["alert"], []).append(rule)
                stem = budgets.group_name(service, budget)
                for kind, make in (("bounds", bounds_test), ("history", history_test)):
                    test = make(team, service, budget, sigs, rules)
                    if test is not None:
                        out[f"{stem}-{kind}.yaml"] = test
    return out
