"""Behaviour tests for every SLO the platform renders rules for, run by `promtool test rules` and `vmalert-tool
unittest` against the shipped rule files.

Each scenario feeds the SLO's own SLI series with a piecewise-constant error ratio (in multiples of the error
budget, a "burn") and states, from the window math alone, what every alert must be doing at chosen moments:

* fast: nominal traffic that fills the page windows, then a 14.4x burn. Nothing fires on the nominal part; the
  page fires no later than the bound the windows give (the time the slowest-needed window takes to average above
  the factor, plus `for`), and not at half that time when the math says it cannot yet.
* slow: nominal traffic that fills every window, then a burn between the ticket and the page factors: the ticket
  fires within its bound and the page never does.
* quiet: with a low-traffic guard, a near-total outage at a trickle of traffic pages nobody.

An alert is only asserted at a moment where the model is certain about it: the margin of every window covers the
one-minute sampling and the evaluation step. Moments are chosen where the certain answer exists, and the
generator fails loudly if the math promises a page it cannot show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.catalog import Organisation
from model.promql import Selector, example_labels, labels_inside_not
from model.slo import (
    AlertWindow,
    Engine,
    FreshnessSLI,
    LatencySLI,
    RatioSLI,
    RawSLI,
    ResolvedSLO,
    enabled,
    le_matcher_value,
    resolved_slos,
)
from model.slo import (
    Severity as Tier,
)
from render import series, sli, slo_rules

MINUTE = series.INTERVAL_MS
HOUR = 60 * MINUTE
RATE = 10.0
"""Events per second in the tests."""
FAST_BURN = 14.4


def lateness(step: int) -> int:
    """How late past the window math an alert may legitimately fire: the window edge may sit two samples off
    (a rate starts at its first sample; VictoriaMetrics queries 30s in the past), and an alert may read the
    recording of the previous evaluation before its own condition holds for a whole evaluation step."""
    return 2 * MINUTE + 2 * step


class GenerationError(Exception):
    """The window math and the rendered rules disagree about what a test can show."""


@dataclass(frozen=True)
class Burn:
    """The error ratio over time, in multiples of the budget: (start ms, burn) phases, the first at 0."""

    phases: tuple[tuple[int, float], ...]

    def integral(self, start: int, end: int) -> float:
        total = 0.0
        for i, (t0, b) in enumerate(self.phases):
            t1 = self.phases[i + 1][0] if i + 1 < len(self.phases) else end
            lo, hi = max(start, t0), min(end, t1)
            if hi > lo:
                total += b * (hi - lo)
        return total

    def mean(self, start: int, end: int) -> float:
        start = max(0, start)
        return self.integral(start, end) / (end - start)

    def jump(self, start: int, end: int) -> float:
        """How far the burn moves within [start, end]: the most a sample's misplacement there can matter."""
        values = [b for i, (t0, b) in enumerate(self.phases)
                  if t0 < end and (i + 1 == len(self.phases) or self.phases[i + 1][0] > start)]
        return max(values) - min(values)

    def minute_segments(self, end: int) -> list[tuple[int, float]]:
        """(minutes, burn) segments up to `end`."""
        out = []
        for i, (t0, b) in enumerate(self.phases):
            t1 = self.phases[i + 1][0] if i + 1 < len(self.phases) else end
            out.append(((min(t1, end) - t0) // MINUTE, b))
        return out


@dataclass
class Model:
    """What the rendered rules compute for a Burn, with the uncertainty the sampling leaves: True, False or None."""

    r: ResolvedSLO
    burn: Burn
    rate: float
    step: int
    _sums: list[tuple[float, float, int]] = field(default_factory=list)
    """Running sums of the base-window band at each evaluation, for the period mean."""

    @property
    def gauge(self) -> bool:
        return isinstance(self.r.slo.sli, RawSLI) and self.r.slo.sli.fixture.gauge is not None

    def _average(self, start: int, end: int) -> float | None:
        """The burn a window covering the minutes [start, end) reports; a gauge average also counts sample 0
        (the first minute again) while the window reaches back to it."""
        if self.gauge:
            lo = max(0, start)
            minutes = (end - lo) // MINUTE + (1 if start < 0 else 0)
            if end <= 0 or minutes <= 0:
                return None
            total = self.burn.integral(lo, end) / MINUTE + (self.burn.phases[0][1] if start < 0 else 0)
            return total / minutes
        lo = max(0, start)
        return self.burn.mean(lo, end) if end - lo >= MINUTE and end >= 2 * MINUTE else None

    def band(self, w_ms: int, t: int, views: int = 2) -> tuple[float, float] | None:
        """The lowest and highest burn a window can report to an alert evaluated at `t`.

        Prometheus rates over the minutes [t-w+1m, t) (from the first sample inside the window), averages gauges
        over [t-w, t), and an alert reads the recording made at the same evaluation. VictoriaMetrics rates over
        [t-w, t) exactly, but queries 30s in the past (the rule evaluation delay), so it sees [t-w-1m, t-1m), and
        an alert may read the recording of the previous evaluation. Certain is only what holds for all of them.
        """
        values = []
        for k in range(views):
            v = t - k * self.step
            for start, end in ((v - w_ms + MINUTE, v), (v - w_ms, v), (v - w_ms - MINUTE, v - MINUTE)):
                value = self._average(start, end)
                if value is not None:
                    values.append(value)
        return (min(values), max(values)) if values else None

    def window(self, w_ms: int, t: int, factor: float) -> bool | None:
        band = self.band(w_ms, t)
        if band is None:
            return None
        margin = 1e-6 * max(1.0, factor)
        if band[0] > factor + margin:
            return True
        if band[1] < factor - margin:
            return False
        return None

    def guard(self, w: AlertWindow) -> bool | None:
        min_events = self.r.slo.alerting.min_events
        if min_events is None or sli.total_rate(self.r.slo, self.r.service.namespace, self.r.service.name) is None:
            return True
        needed = min_events / (w.long.milliseconds / 1000)
        if self.rate > needed * 1.1:
            return True
        return False if self.rate < needed * 0.9 else None

    def tier(self, w: AlertWindow, t: int) -> bool | None:
        return _and([self.window(w.short.milliseconds, t, w.factor), self.window(w.long.milliseconds, t, w.factor), self.guard(w)])

    def condition(self, severity: Tier, t: int) -> bool | None:
        """Whether the alert of `severity` holds; an alert that is not rendered never does."""
        return _or([self.tier(w, t) for w in _native(self.r, severity)])

    def firing(self, severity: Tier, t: int) -> bool | None:
        alerting = self.r.slo.alerting
        pending = (alerting.page_for if severity == Tier.page else alerting.ticket_for).milliseconds
        return series.firing(lambda s: self.condition(severity, s), t, pending, self.step)

    def remaining(self, t: int) -> tuple[float, float] | None:
        """The lowest and highest remaining budget share the freeze and exhausted alerts can see at `t`.

        They read it through a chain of recordings (ratio, period ratio, burn rate, remaining, freeze signal),
        each of which may lag its input by an evaluation in VictoriaMetrics: every lag up to that depth counts.
        """
        period = self.r.slo.period.milliseconds
        exact = self.r.slo.period in slo_rules.windows(self.r)
        lows, highs = [], []
        for k in range(6):
            v = t - k * self.step
            band = self.band(period, v, views=1) if exact else self._period_mean(v, period)
            if band is None:
                return None if k == 0 else (min(lows), max(highs))
            lows.append(1 - band[1])
            highs.append(1 - band[0])
        return min(lows), max(highs)

    def _period_mean(self, v: int, period: int) -> tuple[float, float] | None:
        """The band of the mean of the base-window ratio recorded at every evaluation in (v - period, v]."""
        if v < 0:
            return None
        last = v // self.step
        while len(self._sums) <= last:
            band = self.band(slo_rules.base_window(self.r).milliseconds, len(self._sums) * self.step, views=1)
            lo, hi, n = self._sums[-1] if self._sums else (0.0, 0.0, 0)
            self._sums.append((lo + band[0], hi + band[1], n + 1) if band else (lo, hi, n))
        first = max(0, (v - period) // self.step + 1)
        lo, hi, n = self._sums[last]
        if first > 0:
            lo0, hi0, n0 = self._sums[first - 1]
            lo, hi, n = lo - lo0, hi - hi0, n - n0
        return (lo / n, hi / n) if n else None

    def below(self, threshold: float, t: int, inclusive: bool = False) -> bool | None:
        band = self.remaining(t)
        if band is None:
            return False  # no period ratio recorded yet: the rule has nothing to compare
        low, high = band
        margin = 1e-6
        if high < threshold - margin or (inclusive and high <= threshold - margin):
            return True
        if low > threshold + margin:
            return False
        return None


def _and(states: list[bool | None]) -> bool | None:
    if False in states:
        return False
    return None if None in states else True


def _or(states: list[bool | None]) -> bool | None:
    if True in states:
        return True
    return None if None in states else False


# --- Input series ---------------------------------------------------------------------------------------------


def _labels_or_fail(r: ResolvedSLO, labels: dict | None, what: str) -> dict:
    if labels is None:
        raise GenerationError(f"SLO {r.id}: no series satisfies {what}")
    return labels


def input_series(r: ResolvedSLO, burn: Burn, rate: float, end: int) -> list[dict]:
    """The SLI's own series, driven so its error ratio is `burn` times the budget at every minute."""
    segments = burn.minute_segments(end)
    per_minute = rate * 60
    budget = r.budget
    bad = [(m, per_minute * b * budget) for m, b in segments]
    good = [(m, per_minute * (1 - b * budget)) for m, b in segments]
    everything = [(m, per_minute) for m, _ in segments]
    sli_ = r.slo.sli
    ns, svc = r.service.namespace, r.service.name
    if isinstance(sli_, RawSLI):
        fixture = sli_.fixture
        if fixture.gauge is not None:
            g = fixture.gauge.scoped(ns, svc)
            share = [(m, 1 - b * budget if fixture.meaning == "good" else b * budget) for m, b in segments]
            labels = _labels_or_fail(r, example_labels(g), str(g))
            return [{"series": series.series_name(g.metric, labels), "values": series.gauge(share)}]
        return _counter_pair(r, fixture.errors.scoped(ns, svc), None, fixture.total.scoped(ns, svc), bad, good, everything)
    if isinstance(sli_, RatioSLI):
        errors, good_sel, total = sli.counters(r.slo, ns, svc)
        return _counter_pair(r, errors, good_sel, total, bad, good, everything)
    if isinstance(sli_, LatencySLI | FreshnessSLI):
        _, _, total = sli.counters(r.slo, ns, svc)
        labels = _labels_or_fail(r, example_labels(total), str(total))
        bound = sli_.under if isinstance(sli_, LatencySLI) else sli_.within
        op, value = le_matcher_value(bound)
        le = value.split("(")[0] if op == "=~" else value
        base = total.metric.removesuffix("_count")
        return [
            {"series": series.series_name(f"{base}_bucket", {**labels, "le": le}), "values": series.counter(good)},
            {"series": series.series_name(f"{base}_count", labels), "values": series.counter(everything)},
        ]
    raise GenerationError(f"SLO {r.id}: unknown SLI kind")


def _counter_pair(r, errors: Selector | None, good_sel: Selector | None, total: Selector, bad, good, everything) -> list[dict]:
    """Counters for errors/total or good/total: two series of one metric, or one series per metric."""
    part, part_values, rest_values = (errors, bad, good) if errors is not None else (good_sel, good, bad)
    if part.metric != total.metric:
        return [
            {"series": series.series_name(part.metric, _labels_or_fail(r, example_labels(part), str(part))), "values": series.counter(part_values)},
            {"series": series.series_name(total.metric, _labels_or_fail(r, example_labels(total), str(total))), "values": series.counter(everything)},
        ]
    inside = _labels_or_fail(r, example_labels(total, part), f"both {total} and {part}")
    outside = _labels_or_fail(r, labels_inside_not(total, part), f"{total} but not {part}")
    return [
        {"series": series.series_name(total.metric, inside), "values": series.counter(part_values)},
        {"series": series.series_name(total.metric, outside), "values": series.counter(rest_values)},
    ]


# --- Expected alerts ------------------------------------------------------------------------------------------


@dataclass
class Expectations:
    """The alerts of one SLO's rules, and which of them the model is certain about at a moment."""

    r: ResolvedSLO
    model: Model
    rules: dict[str, list[dict]]

    def state(self, rule: dict, t: int) -> bool | None:
        name = rule["alert"]
        if name == slo_rules.ALERT:
            return self.model.firing(Tier(rule["labels"]["sloth_severity"]), t)
        if name == slo_rules.EXHAUSTED_ALERT:
            return self.model.below(0, t, inclusive=True)
        if name == slo_rules.FREEZE_ALERT:
            return self.model.below(self.r.policy.freeze_below, t)
        raise GenerationError(f"no model for alert {name}")

    def expected(self, name: str, t: int) -> list[dict] | None:
        """Every alert named `name` firing at `t` as the tools report it, or None if the model is unsure."""
        out = []
        for rule in self.rules.get(name, []):
            state = self.state(rule, t)
            if state is None:
                return None
            if state:
                out.append(
                    {"exp_labels": {**slo_rules.series_labels(self.r), **rule["labels"]}, "exp_annotations": rule["annotations"]}
                )
        return out

    def checks(self, t: int, names: list[str] | None = None) -> list[dict]:
        """alert_rule_test entries at `t` for every alert name the model is certain about."""
        out = []
        for name in names or sorted(self.rules):
            exp = self.expected(name, t)
            if exp is not None:
                out.append({"eval_time": series.duration(t), "alertname": name, "exp_alerts": exp})
        return out


# --- Scenarios ------------------------------------------------------------------------------------------------

MAX_STEP = 4 * MINUTE
"""vmalert queries with a 5m step 30s in the past: with longer evaluation steps an alert would find no recording."""


def _ceil(ms: float, step: int) -> int:
    return int(-(-ms // step) * step)


def _step(*spans: float) -> int:
    """An evaluation step in whole minutes that keeps a scenario to about a hundred and fifty evaluations."""
    return min(MAX_STEP, max(MINUTE, int(max(spans) // MINUTE) * MINUTE))


def nominal_burn(r: ResolvedSLO) -> float:
    """Healthy traffic: half the sustainable burn, and never so much that the freeze policy would trip."""
    return min(0.5, (1 - r.policy.freeze_below) / 2)


def crossing(window_ms: int, onset: int, base: float, burn: float, factor: float) -> float | None:
    """How long after a step from `base` to `burn` at `onset` (data from 0) a window's average passes `factor`."""
    if burn <= factor * 1.001:
        return None
    full = window_ms * (factor - base) / (burn - base)
    if onset + full >= window_ms:
        return max(0.0, full)
    return max(0.0, onset * (factor - base) / (burn - factor))  # the window still reaches back before the data


def detection_time(windows, onset: int, base: float, burn: float, for_ms: int) -> int | None:
    """When the first of `windows` fires after the step: both of its windows past its factor, then `for`."""
    times = []
    for w in windows:
        parts = [crossing(d.milliseconds, onset, base, burn, w.factor) for d in (w.short, w.long)]
        if None not in parts:
            times.append(max(parts))
    return int(min(times)) + for_ms if times else None


def _max_burn(r: ResolvedSLO) -> float:
    """The largest burn the SLI can show: an error ratio just under 100%."""
    return 0.95 / r.budget


def _scenario_test(r: ResolvedSLO, burn: Burn, rate: float, step: int, end: int, checks: list[dict]) -> dict:
    return {
        "rule_files": [f"../rules/{slo_rules.file_name(r)}"],
        "evaluation_interval": series.duration(step),
        "tests": [{"interval": "1m", "input_series": input_series(r, burn, rate, end), "alert_rule_test": checks}],
    }


def _native(r: ResolvedSLO, severity: Tier) -> tuple[AlertWindow, ...]:
    """The tiers of `severity` the native engine renders alerts for."""
    ok = r.engine == Engine.native and enabled(r.slo.alerting, severity)
    return r.tiers(severity) if ok else ()


def _certain_from(exp: Expectations, start: int, step: int, tries: int, key) -> int | None:
    """The first of a few evaluations from `start` where `key` holds and every burn alert is certain."""
    for t in range(start, start + tries * step, step):
        if key(t) and exp.expected(slo_rules.ALERT, t) is not None:
            return t
    return None


def _finer(step: int) -> list[int]:
    """`step`, then finer whole-minute steps: a finer step narrows what the model is unsure about."""
    out = [step]
    while out[-1] > MINUTE:
        out.append(max(MINUTE, out[-1] // 2 // MINUTE * MINUTE))
    return out


def _candidates(step: int, warmup: int, guess: int) -> list[tuple[int, int]]:
    """(step, warmup) pairs, cheapest first: when what the model is unsure of overlaps the moment to check, a
    longer warmup moves the other alerts' transitions away, a finer step narrows the uncertainty."""
    pairs = [(s, int(warmup * k)) for s in _finer(step) for k in (1, 1.5, 2)]
    return sorted(pairs, key=lambda p: ((p[1] + guess) / p[0], -p[0]))


def fast_scenario(org: Organisation, r: ResolvedSLO, alerts: dict) -> dict | None:
    """Nominal traffic filling the page windows, then a 14.4x burn: the page fires within the windows' bound."""
    page = _native(r, Tier.page)
    b0, b1 = nominal_burn(r), min(FAST_BURN, _max_burn(r))
    if page and not any(w.factor * 1.05 < b1 for w in page):
        b1 = min(_max_burn(r), max(w.factor for w in page) * 1.25)
    # Without a page to time, an hour of nominal traffic is enough to show the policy react.
    longest = max(w.long.milliseconds for w in page) if page else HOUR
    guess = detection_time(page, longest, b0, b1, r.slo.alerting.page_for.milliseconds) if page else HOUR
    for step, warmup in _candidates(_step(guess / 8, (longest + guess) / 150), longest, guess):
        test = _fast(r, alerts, page, b0, b1, warmup, guess, step)
        if test is not None:
            return test
    raise GenerationError(f"SLO {r.id}: the page must fire within the window math's bound of a {b1:g}x burn, but cannot be shown")


def _fast(r: ResolvedSLO, alerts: dict, page, b0: float, b1: float, warmup: int, guess: int, step: int) -> dict | None:
    onset = _ceil(warmup, step)
    burn = Burn(((0, b0), (onset, b1)))
    model = Model(r, burn, RATE, step)
    exp = Expectations(r, model, alerts)
    checks = _nominal_check(exp, onset, r)
    if page:
        bound = detection_time(page, onset, b0, b1, r.slo.alerting.page_for.milliseconds)
        if bound is None:
            raise GenerationError(f"SLO {r.id}: no page tier fires on a {b1:g}x burn")
        deadline = onset + bound + lateness(step)
        first = onset + _ceil(bound, step)
        t = _certain_from(exp, first - step, step, (deadline - first) // step + 2, lambda s: model.firing(Tier.page, s) is True)
        if t is None or t > deadline:
            return None
        early = onset + _ceil(bound / 2, step) - step
        if early > onset and model.firing(Tier.page, early) is False and exp.expected(slo_rules.ALERT, early) is not None:
            checks += exp.checks(early, [slo_rules.ALERT])
    else:
        # Without native burn alerts (Pyrra owns them) the policy still reacts: the freeze must come.
        start = onset + _ceil(guess, step)
        t = next((s for s in range(start, start + 40 * step, step) if model.below(r.policy.freeze_below, s) is True), None)
        if t is None:
            return None
    checks += exp.checks(t)
    return _scenario_test(r, burn, RATE, step, t + step, checks)


def slow_burn(r: ResolvedSLO) -> float | None:
    """A burn the ticket tiers catch and the page tiers must ignore, clear of every factor; None if none fits."""
    tickets = [w.factor for w in _native(r, Tier.ticket)]
    pages = [w.factor for w in _native(r, Tier.page)]
    if not tickets:
        return None
    low, high = min(tickets) * 1.1, min(min(pages, default=float("inf")) / 1.1, _max_burn(r))
    if low >= high:
        return None
    burn = (low * high) ** 0.5 if high != float("inf") else low * 2
    return burn if not any(abs(burn - f) < 0.05 * f for f in tickets) else (low + burn) / 2


def slow_scenario(org: Organisation, r: ResolvedSLO, alerts: dict) -> dict | None:
    """Nominal traffic, then a burn between the ticket and the page factors: the ticket fires, the page never."""
    b0, b_s = nominal_burn(r), slow_burn(r)
    if b_s is None:
        return None
    tickets = _native(r, Tier.ticket)
    # Nominal data for the short ticket windows; the long ones still reach back to the start of the data.
    warmup = max(w.short.milliseconds for w in tickets)
    guess = detection_time(tickets, warmup, b0, b_s, r.slo.alerting.ticket_for.milliseconds)
    if guess is None:
        return None
    for step, longer in _candidates(_step(guess / 8, (warmup + guess) / 150), warmup, guess):
        test = _slow(r, alerts, tickets, b0, b_s, longer, step)
        if test is not None:
            return test
    raise GenerationError(f"SLO {r.id}: the ticket must fire on a {b_s:.3g}x burn and the page not, but cannot be shown")


def _slow(r: ResolvedSLO, alerts: dict, tickets, b0: float, b_s: float, warmup: int, step: int) -> dict | None:
    onset = _ceil(warmup, step)
    bound = detection_time(tickets, onset, b0, b_s, r.slo.alerting.ticket_for.milliseconds)
    burn = Burn(((0, b0), (onset, b_s)))
    model = Model(r, burn, RATE, step)
    exp = Expectations(r, model, alerts)
    checks = _nominal_check(exp, onset, r)
    first = onset + _ceil(bound, step)
    t = _certain_from(
        exp, first - step, step, lateness(step) // step + 2,
        lambda s: model.firing(Tier.ticket, s) is True and model.firing(Tier.page, s) is False,
    )
    if t is None:
        return None
    checks += exp.checks(t)
    return _scenario_test(r, burn, RATE, step, t + step, checks)


def quiet_scenario(org: Organisation, r: ResolvedSLO, alerts: dict) -> dict | None:
    """With a low-traffic guard: a near-total outage at a trickle of traffic raises no burn alert."""
    min_events = r.slo.alerting.min_events
    if min_events is None or r.engine != Engine.native or sli.total_rate(r.slo, r.service.namespace, r.service.name) is None:
        return None
    longest = max(w.long.milliseconds for w in r.windows)
    shortest_long = min(w.long.milliseconds for w in r.windows)
    rate = 0.25 * min_events / (longest / 1000)
    step = _step(shortest_long / 8)
    burn = Burn(((0, _max_burn(r)),))
    model = Model(r, burn, rate, step)
    exp = Expectations(r, model, alerts)
    t = _ceil(shortest_long, step) + step
    checks = exp.checks(t, [slo_rules.ALERT])
    if not checks or checks[0]["exp_alerts"]:
        raise GenerationError(f"SLO {r.id}: the low-traffic guard must hold back every burn alert")
    return _scenario_test(r, burn, rate, step, t + step, checks)


def _nominal_check(exp: Expectations, t: int, r: ResolvedSLO) -> list[dict]:
    checks = exp.checks(t)
    if len(checks) != len(exp.rules) or any(c["exp_alerts"] for c in checks):
        raise GenerationError(f"SLO {r.id}: nominal traffic must leave every alert quiet")
    return checks


SCENARIOS = {"fast": fast_scenario, "slow": slow_scenario, "quiet": quiet_scenario}


def alert_rules(org: Organisation, r: ResolvedSLO) -> dict[str, list[dict]]:
    """The alert rules of an SLO's group by name."""
    out: dict[str, list[dict]] = {}
    for rule in slo_rules.slo_group(org, r)["rules"]:
        if "alert" in rule:
            out.setdefault(rule["alert"], []).append(rule)
    return out


def slo_rule_tests(org: Organisation) -> dict[str, dict]:
    """Test files for every SLO whose rules the platform renders (Sloth-owned SLOs are tested upstream)."""
    out = {}
    for r in resolved_slos(org):
        if r.engine == Engine.sloth:
            continue
        alerts = alert_rules(org, r)
        for name, scenario in SCENARIOS.items():
            test = scenario(org, r, alerts)
            if test is not None:
                out[f"slo-{r.id}-{name}.yaml"] = test
    return out
