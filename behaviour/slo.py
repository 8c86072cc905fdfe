"""Behaviour tests for every SLO the platform renders rules for, run by `promtool test rules` and `vmalert-tool
unittest` against the shipped rule files.

Each scenario feeds the SLO's own SLI series with piecewise-constant traffic (events per second, and an error
ratio in multiples of the error budget, a "burn") and states what every alert must be doing at chosen moments:

* fast: nominal traffic that fills the page windows, then a 14.4x burn. Nothing fires on the nominal part; the
  page fires no later than the bound the windows give (the time the slowest-needed window takes to average above
  the factor, plus `for`), and not at half that time when the math says it cannot yet.
* slow: nominal traffic, then a burn between the ticket and the page factors: the ticket fires within its bound
  and the page never does.
* dip: nominal traffic, then almost none (a night) with nearly every request failing. Budget burn pages nobody:
  those errors are a sliver of the budget the period's traffic allows; ratio burn (Sloth's) pages once the page
  windows hold nothing but the dip. The freeze stays off either way: the period's ratio is traffic-weighted.
* quiet: with a low-traffic guard, a near-total outage at a trickle of traffic pages nobody.

What an alert does at a moment is worked out independently of the rule generator, by simulating each tool's
reading of the input series from the SLO's settings alone: Prometheus rates over the samples inside a window
(extrapolated as Prometheus does), VictoriaMetrics from the sample before it; promtool reads a recording made
earlier in the same evaluation, vmalert-tool the one of the evaluation before. A check is written only where
every simulation agrees, clear of the threshold; moments are chosen where they do, and the generator fails
loudly if the window math promises a page it cannot show. The fast page is also held to the continuous window
math (`detection_time`) plus the tools' lateness.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

from model.catalog import Organisation
from model.promql import Selector, example_labels, labels_inside_not
from model.slo import (
    AlertWindow,
    BurnBasis,
    Engine,
    EvaluationForm,
    FreshnessSLI,
    LatencySLI,
    RatioSLI,
    RawSLI,
    ResolvedSLO,
    enabled,
    le_matcher_value,
    resolved_slos,
)
from model.slo import AlertTier
from behaviour import series
from render.rules import sli, slo as slo_rules

SAMPLE = 30_000
"""Input samples every 30s: a one-minute rate needs two samples inside its window in Prometheus."""
MINUTE = 60_000
HOUR = 60 * MINUTE
RATE = 10.0
"""Events per second in the tests."""
FAST_BURN = 14.4
MARGIN = 1e-4
"""How far (relatively) from its threshold a simulated value must be for a check to rely on it."""


def lateness(r: ResolvedSLO, step: int) -> int:
    """How late past the continuous window math an alert may legitimately fire: Prometheus rates start at the
    first sample inside a window, the alert runs at the first evaluation after the crossing, and vmalert-tool
    reads the recording between the series and the alert (the window's, or the interval rates a cascaded alert
    sums) one evaluation late."""
    return SAMPLE + 2 * step


GenerationError = series.GenerationError
"""Raised where the window math and the rendered rules disagree about what a test can show."""


# --- Traffic --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """(start ms, burn, events per second) phases, the first at 0; each lasts until the next starts."""

    phases: tuple[tuple[int, float, float], ...]
    budget: float

    @cached_property
    def _prefix(self) -> tuple[list[int], list[tuple[float, float, float]]]:
        """Phase starts, and the (events, errors, burn-seconds) accumulated before each."""
        starts, before, events, errors, burned = [], [], 0.0, 0.0, 0.0
        for i, (t0, burn, rate) in enumerate(self.phases):
            starts.append(t0)
            before.append((events, errors, burned))
            if i + 1 < len(self.phases):
                seconds = (self.phases[i + 1][0] - t0) / 1000
                events += rate * seconds
                errors += rate * seconds * burn * self.budget
                burned += burn * seconds
        return starts, before

    @cached_property
    def _at(self) -> dict[int, tuple[float, float, float]]:
        """_cumulative's answers so far: a simulation asks for the same instants over and over (each counter of a
        rate, each window ending at one evaluation), and the answer is the same float every time."""
        return {}

    def _cumulative(self, t: int) -> tuple[float, float, float]:
        """(events, errors, burn-seconds) from 0 to `t`."""
        known = self._at.get(t)
        if known is not None:
            return known
        if t <= 0:
            value = (0.0, 0.0, 0.0)
        else:
            starts, before = self._prefix
            i = bisect_right(starts, t) - 1
            _, burn, rate = self.phases[i]
            seconds = (t - starts[i]) / 1000
            events, errors, burned = before[i]
            value = (events + rate * seconds, errors + rate * seconds * burn * self.budget, burned + burn * seconds)
        self._at[t] = value
        return value

    def burn_seconds(self, start: int, end: int) -> float:
        """The integral of the burn over [start, end]."""
        return self._cumulative(end)[2] - self._cumulative(start)[2]

    def count(self, kind: str, start: int, end: int) -> float:
        """Events of `kind` (events, errors, good) within [start, end]."""
        e1, x1, _ = self._cumulative(end)
        e0, x0, _ = self._cumulative(start)
        if kind == "events":
            return e1 - e0
        if kind == "errors":
            return x1 - x0
        return (e1 - e0) - (x1 - x0)

    def at(self, t: int) -> tuple[float, float]:
        """(burn, rate) of the phase holding the instant just before `t` (the first phase at 0)."""
        current = self.phases[0][1:]
        for t0, burn, rate in self.phases:
            if t0 < t:
                current = (burn, rate)
        return current

    def samples(self, end: int, value) -> list[tuple[int, float]]:
        """(samples, value per sample) segments of the 30s samples up to `end`; `value(burn, rate)`."""
        out = []
        for i, (t0, burn, rate) in enumerate(self.phases):
            t1 = self.phases[i + 1][0] if i + 1 < len(self.phases) else end
            t1 = min(t1, end)
            if t1 > t0:
                out.append(((t1 - t0) // SAMPLE, value(burn, rate)))
        return out


# --- What the tools compute -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    prometheus: bool
    """Prometheus rates: from the first sample inside the window, extrapolated; VictoriaMetrics: from the last
    sample before it (or the first one, where the data begins inside the window)."""
    lag: bool
    """Whether a rule reads the recordings of the previous evaluation rather than of this one."""


TOOLS = (Tool("promtool", True, False), Tool("vmalert-tool", False, True))


@dataclass(frozen=True)
class Counter:
    kind: str  # events, errors or good
    sign: int = 1


def _prometheus_rate(traffic: Traffic, kind: str, v: int, w: int) -> float | None:
    """Prometheus' extrapolated rate of a counter starting at 0 at time 0, sampled every 30s."""
    start = v - w
    first = 0 if start < 0 else (start // SAMPLE + 1) * SAMPLE
    if v - first < SAMPLE:
        return None  # one sample in the window: no rate
    delta = traffic.count(kind, first, v)
    sampled = (v - first) / 1000
    to_start = (first - start) / 1000
    average = SAMPLE / 1000
    if to_start >= 1.1 * average:
        to_start = average / 2
    if delta > 0:
        to_zero = sampled * traffic.count(kind, 0, first) / delta
        to_start = min(to_start, to_zero)
    return delta * (sampled + to_start) / sampled / (w / 1000)


def _victoria_rate(traffic: Traffic, kind: str, v: int, w: int) -> float | None:
    """VictoriaMetrics' rate: the increase since the last sample before the window, over the time it took."""
    prev = max(0, (v - w) // SAMPLE * SAMPLE) if v - w >= 0 else 0
    if v - prev < SAMPLE:
        return None
    return traffic.count(kind, prev, v) / ((v - prev) / 1000)


@dataclass(frozen=True)
class Shape:
    """How an SLI's series make its errors and events: counters summed with signs, or a gauge of the ratio."""

    errors: tuple[Counter, ...] = ()
    events: tuple[Counter, ...] = ()
    gauge: bool = False


def shape(r: ResolvedSLO) -> Shape:
    """The counters `input_series` writes for the SLI, and how its queries combine their rates (each counter is
    rated on its own, as both tools do, before the sums)."""
    sli_ = r.slo.sli
    ns, svc = r.service.namespace, r.service.name
    if isinstance(sli_, RawSLI):
        if sli_.fixture.gauge is not None:
            return Shape(gauge=True)
        part, good_part, total = sli_.fixture.errors.scoped(ns, svc), None, sli_.fixture.total.scoped(ns, svc)
    elif isinstance(sli_, RatioSLI):
        part, good_part, total = sli.counters(r.slo, ns, svc)
    else:  # latency and freshness: a bucket of good events and the count of all
        return Shape((Counter("events"), Counter("good", -1)), (Counter("events"),))
    if part is not None:
        if part.metric != total.metric:
            return Shape((Counter("errors"),), (Counter("events"),))
        return Shape((Counter("errors"),), (Counter("errors"), Counter("good")))
    if good_part.metric != total.metric:
        return Shape((Counter("events"), Counter("good", -1)), (Counter("events"),))
    both = (Counter("good"), Counter("errors"))
    return Shape((*both, Counter("good", -1)), both)


class Simulation:
    """What one tool's evaluation of the SLO's rules computes, for one traffic and evaluation step."""

    def __init__(self, r: ResolvedSLO, traffic: Traffic, step: int, tool: Tool) -> None:
        self.r, self.traffic, self.step, self.tool = r, traffic, step, tool
        self.lag = step if tool.lag else 0
        self.shape = shape(r)
        self.rate_of = _prometheus_rate if tool.prometheus else _victoria_rate
        self._base: list[tuple[float, float] | None] = []
        self._sums: list[tuple[float, float, int]] = [(0.0, 0.0, 0)]
        self._raw_base: list[float | None] = []
        self._raw_sums: list[tuple[float, int]] = [(0.0, 0)]

    # Queries straight from the series.

    def rates(self, v: int, w: int) -> tuple[float, float] | None:
        """(errors, events) per second over `w` at `v`, as the SLI's queries compute them."""
        if v < 0:
            return None
        out = []
        known: dict[str, float | None] = {}  # a counter in both sums (errors among the events) is rated once
        for counters in (self.shape.errors, self.shape.events):
            total = 0.0
            for c in counters:
                if c.kind in known:
                    rate = known[c.kind]
                else:
                    rate = known[c.kind] = self.rate_of(self.traffic, c.kind, v, w)
                if rate is None:
                    return None
                total += c.sign * rate
            out.append(total)
        return out[0], out[1]

    def raw_ratio(self, v: int, w: int) -> float | None:
        """A raw SLI's error ratio over `w` at `v`: the gauge's mean over its samples, or errors over events."""
        if v < 0:
            return None
        if self.shape.gauge:
            # The samples inside the window, each holding the burn of the 30s it closes (sample 0 the first one's).
            first = 0 if v - w < 0 else (v - w) // SAMPLE * SAMPLE + SAMPLE
            if first > v:
                return None
            count = (v - first) // SAMPLE + 1
            total = self.traffic.burn_seconds(max(0, first - SAMPLE), v) / (SAMPLE / 1000)
            if first == 0:
                total += self.traffic.phases[0][1]
            return total / count * self.r.budget
        rates = self.rates(v, w)
        return rates[0] / rates[1] if rates and rates[1] > 0 else None

    # Recordings made at every evaluation (grid points k * step).

    def _grid(self, k: int):
        """Prefix sums of the interval rates recorded up to evaluation k."""
        if len(self._base) > k:
            return
        counts_events = self.r.counts_events
        interval = self.r.interval.milliseconds if counts_events else None
        base_window = None if counts_events else slo_rules.base_window(self.r).milliseconds
        while len(self._base) <= k:
            s = len(self._base) * self.step
            base = self.rates(s, interval) if counts_events else None
            self._base.append(base)
            e, n, c = self._sums[-1]
            self._sums.append((e + base[0], n + base[1], c + 1) if base else (e, n, c))
            raw = self.raw_ratio(s, base_window) if not counts_events else None
            self._raw_base.append(raw)
            total, count = self._raw_sums[-1]
            self._raw_sums.append((total + raw, count + 1) if raw is not None else (total, count))

    def _range(self, start: int, end: int) -> tuple[int, int] | None:
        """Evaluation indexes k with start < k * step <= end."""
        if end < 0:
            return None
        lo, hi = max(0, start // self.step + 1), end // self.step
        if hi < lo:
            return None
        self._grid(hi)
        return lo, hi

    def summed(self, start: int, end: int) -> tuple[float, float, int]:
        """Sums of the recorded interval error and event rates at evaluations in (start, end], and their count."""
        span = self._range(start, end)
        if span is None:
            return 0.0, 0.0, 0
        lo, hi = span
        e1, n1, c1 = self._sums[hi + 1]
        e0, n0, c0 = self._sums[lo]
        return e1 - e0, n1 - n0, c1 - c0

    def raw_summed(self, start: int, end: int) -> tuple[float, int]:
        span = self._range(start, end)
        if span is None:
            return 0.0, 0
        lo, hi = span
        return self._raw_sums[hi + 1][0] - self._raw_sums[lo][0], self._raw_sums[hi + 1][1] - self._raw_sums[lo][1]

    def period_traffic(self, v: int) -> float | None:
        """`slo:sli_events:rate<period>` recorded at `v`: the mean of the recorded event rates over the period."""
        _, n, c = self.summed(v - self.r.slo.period.milliseconds, v - self.lag)
        return n / c if c else None

    def window(self, w: int, v: int) -> float | None:
        """The burn (in budgets) of the per-window series recorded at `v`."""
        r, budget = self.r, self.r.budget
        if not r.counts_events:
            ratio = self.raw_ratio(v, w)
            return None if ratio is None else ratio / budget
        if r.burn == BurnBasis.budget:
            traffic = self.period_traffic(v - self.lag)
            if not traffic:
                return None
            if r.form == EvaluationForm.cascaded:
                e, _, c = self.summed(v - w, v - self.lag)
                errors = e / c if c else None
            else:
                rates = self.rates(v, w)
                errors = rates[0] if rates else None
            return None if errors is None else errors / traffic / budget
        if r.form == EvaluationForm.cascaded:
            e, n, c = self.summed(v - w, v - self.lag)
            return e / n / budget if c and n > 0 else None
        rates = self.rates(v, w)
        return rates[0] / rates[1] / budget if rates and rates[1] > 0 else None

    def events(self, w: int, v: int) -> float | None:
        """`slo:sli_events:rate<w>` recorded at `v` (the low-traffic guard's events per second)."""
        r = self.r
        if r.counts_events and r.burn == BurnBasis.budget and w == r.slo.period.milliseconds:
            return self.period_traffic(v)
        if slo_rules.cascaded(r):
            _, n, c = self.summed(v - w, v - self.lag)
            return n / c if c else None
        rates = self.rates(v, w)
        return rates[1] if rates else None

    def period_ratio(self, v: int) -> float | None:
        """`slo:sli_error:ratio_rate<period>` recorded at `v`."""
        r, period = self.r, self.r.slo.period.milliseconds
        if r.slo.period in slo_rules.windows(r) and r.burn == BurnBasis.ratio:
            burn = self.window(period, v)
            return None if burn is None else burn * r.budget
        if r.counts_events:
            e, n, c = self.summed(v - period, v - self.lag)
            return e / n if c and n > 0 else None
        total, count = self.raw_summed(v - period, v - self.lag)
        return total / count if count else None

    def remaining(self, v: int) -> float | None:
        """`slo:period_error_budget_remaining:ratio` recorded at `v` (through the period burn rate)."""
        ratio = self.period_ratio(v - 2 * self.lag)
        return None if ratio is None else 1 - ratio / self.r.budget

    # Alert conditions.

    def tier(self, w: AlertWindow, t: int) -> bool | None:
        # A direct window is the recording the alert reads; a cascaded one the alert sums itself from the interval
        # rates, as a recording made at `t` would.
        v = t if slo_rules.cascaded(self.r) else t - self.lag
        states = [_above(self.window(d.milliseconds, v), w.factor) for d in (w.short, w.long)]
        min_events = self.r.slo.alerting.min_events
        if min_events is not None and sli.total_rate(self.r.slo, self.r.service.namespace, self.r.service.name) is not None:
            events = self.events(w.long.milliseconds, v)
            states.append(_at_least(events, min_events / (w.long.milliseconds / 1000)))
        return _and(states)

    def condition(self, severity: AlertTier, t: int) -> bool | None:
        return _or([self.tier(w, t) for w in _native(self.r, severity)])

    def firing(self, severity: AlertTier, t: int) -> bool | None:
        alerting = self.r.slo.alerting
        pending = (alerting.page_for if severity == AlertTier.page else alerting.ticket_for).milliseconds
        return series.firing(lambda s: self.condition(severity, s), t, pending, self.step)

    def below(self, threshold: float, t: int, hops: int, inclusive: bool = False) -> bool | None:
        """Whether the remaining budget an alert reads through `hops` more recordings is under `threshold`."""
        value = self.remaining(t - hops * self.lag)
        if value is None:
            return False  # no period ratio recorded yet: the rule has nothing to compare
        margin = MARGIN * max(1.0, abs(threshold))
        if value < threshold - margin or (inclusive and value <= threshold - margin):
            return True
        if value > threshold + margin:
            return False
        return None


def _above(value: float | None, factor: float) -> bool | None:
    if value is None:
        return False  # an absent series compares false
    if value > factor * (1 + MARGIN):
        return True
    if value < factor * (1 - MARGIN):
        return False
    return None


def _at_least(value: float | None, needed: float) -> bool | None:
    if value is None:
        return False
    if value > needed * (1 + MARGIN):
        return True
    return False if value < needed * (1 - MARGIN) else None


def _and(states: list[bool | None]) -> bool | None:
    if False in states:
        return False
    return None if None in states else True


def _or(states: list[bool | None]) -> bool | None:
    if True in states:
        return True
    return None if None in states else False


def _agree(states: list[bool | None]) -> bool | None:
    """Certain only where every tool is certain of the same answer."""
    return states[0] if len(set(states)) == 1 else None


@dataclass
class Model:
    """What every tool makes of the rules: True, False, or None where they may differ or sit on a threshold."""

    r: ResolvedSLO
    traffic: Traffic
    step: int
    simulations: list[Simulation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.simulations = [Simulation(self.r, self.traffic, self.step, tool) for tool in TOOLS]

    def firing(self, severity: AlertTier, t: int) -> bool | None:
        return _agree([s.firing(severity, t) for s in self.simulations])

    def below(self, threshold: float, t: int, hops: int, inclusive: bool = False) -> bool | None:
        return _agree([s.below(threshold, t, hops, inclusive) for s in self.simulations])


# --- Input series ---------------------------------------------------------------------------------------------


def _labels_or_fail(r: ResolvedSLO, labels: dict | None, what: str) -> dict:
    if labels is None:
        raise GenerationError(f"SLO {r.id}: no series satisfies {what}")
    return labels


def input_series(r: ResolvedSLO, traffic: Traffic, end: int) -> list[dict]:
    """The SLI's own series, sampled every 30s, driven by `traffic`."""
    per = SAMPLE / 1000
    budget = r.budget
    bad = traffic.samples(end, lambda b, rate: rate * per * b * budget)
    good = traffic.samples(end, lambda b, rate: rate * per * (1 - b * budget))
    everything = traffic.samples(end, lambda b, rate: rate * per)
    sli_ = r.slo.sli
    ns, svc = r.service.namespace, r.service.name
    if isinstance(sli_, RawSLI):
        fixture = sli_.fixture
        if fixture.gauge is not None:
            g = fixture.gauge.scoped(ns, svc)
            share = traffic.samples(end, lambda b, rate: 1 - b * budget if fixture.meaning == "good" else b * budget)
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

FREEZE_HOPS = 2
"""Recordings between the remaining budget and the freeze alert: the freeze signal, then the alert."""


@dataclass
class Expectations:
    """The alerts of one SLO's rules, and which of them the model is certain about at a moment."""

    r: ResolvedSLO
    model: Model
    rules: dict[str, list[dict]]

    def state(self, rule: dict, t: int) -> bool | None:
        name = rule["alert"]
        if name == slo_rules.ALERT:
            return self.model.firing(AlertTier(rule["labels"]["sloth_severity"]), t)
        if name == slo_rules.EXHAUSTED_ALERT:
            return self.model.below(0, t, hops=1, inclusive=True)
        if name == slo_rules.FREEZE_ALERT:
            return self.model.below(self.r.policy.freeze_below, t, hops=FREEZE_HOPS)
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
"""vmalert queries with a 5m step: with longer evaluation steps an alert would find no recording."""


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


def _traffic(r: ResolvedSLO, *phases: tuple[int, float, float]) -> Traffic:
    return Traffic(tuple(phases), r.budget)


def _scenario_test(r: ResolvedSLO, traffic: Traffic, step: int, end: int, checks: list[dict]) -> dict:
    return {
        "rule_files": [f"../rules/{slo_rules.file_name(r)}"],
        "evaluation_interval": series.duration(step),
        "tests": [{"interval": series.duration(SAMPLE), "input_series": input_series(r, traffic, end), "alert_rule_test": checks}],
    }


def _native(r: ResolvedSLO, severity: AlertTier) -> tuple[AlertWindow, ...]:
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
    page = _native(r, AlertTier.page)
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
    traffic = _traffic(r, (0, b0, RATE), (onset, b1, RATE))
    model = Model(r, traffic, step)
    exp = Expectations(r, model, alerts)
    checks = _nominal_check(exp, onset, r)
    if page:
        bound = detection_time(page, onset, b0, b1, r.slo.alerting.page_for.milliseconds)
        if bound is None:
            raise GenerationError(f"SLO {r.id}: no page tier fires on a {b1:g}x burn")
        deadline = onset + bound + lateness(r, step)
        first = onset + _ceil(bound, step)
        t = _certain_from(exp, first - step, step, (deadline - first) // step + 2, lambda s: model.firing(AlertTier.page, s) is True)
        if t is None or t > deadline:
            return None
        early = onset + _ceil(bound / 2, step) - step
        if early > onset and model.firing(AlertTier.page, early) is False and exp.expected(slo_rules.ALERT, early) is not None:
            checks += exp.checks(early, [slo_rules.ALERT])
    else:
        # Without native burn alerts (Pyrra owns them) the policy still reacts: the freeze must come.
        start = onset + _ceil(guess, step)
        t = next((s for s in range(start, start + 40 * step, step)
                  if model.below(r.policy.freeze_below, s, FREEZE_HOPS) is True), None)
        if t is None:
            return None
    checks += exp.checks(t)
    return _scenario_test(r, traffic, step, t + step, checks)


def slow_burn(r: ResolvedSLO) -> float | None:
    """A burn the ticket tiers catch and the page tiers must ignore, clear of every factor; None if none fits."""
    tickets = [w.factor for w in _native(r, AlertTier.ticket)]
    pages = [w.factor for w in _native(r, AlertTier.page)]
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
    tickets = _native(r, AlertTier.ticket)
    # Nominal data for the short ticket windows; the long ones still reach back to the start of the data, except
    # for budget burn read straight from the series: a Prometheus rate over a window that reaches before the
    # data divides its increase by the whole window, and would read a fraction of the burn.
    direct_budget = r.burn == BurnBasis.budget and not slo_rules.cascaded(r)
    warmup = max((w.long if direct_budget else w.short).milliseconds for w in tickets)
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
    traffic = _traffic(r, (0, b0, RATE), (onset, b_s, RATE))
    model = Model(r, traffic, step)
    exp = Expectations(r, model, alerts)
    checks = _nominal_check(exp, onset, r)
    first = onset + _ceil(bound, step)
    t = _certain_from(
        exp, first - step, step, lateness(r, step) // step + 2,
        lambda s: model.firing(AlertTier.ticket, s) is True and model.firing(AlertTier.page, s) is False,
    )
    if t is None:
        return None
    checks += exp.checks(t)
    return _scenario_test(r, traffic, step, t + step, checks)


def dip_depth(r: ResolvedSLO) -> float:
    """The dip's traffic as a share of the nominal: at nearly 100% errors, a budget burn of an eighth of the
    lowest factor at most, while the period's average traffic stays above half the nominal."""
    factors = [w.factor for w in r.windows]
    return min(factors) / (4 * _max_burn(r))


def dip_scenario(org: Organisation, r: ResolvedSLO, alerts: dict) -> dict | None:
    """Nominal traffic, then a dip to almost no traffic with nearly every request failing (a night). The check
    comes when ratio burn has had time to page: once the shortest long page window holds only the dip. Budget
    burn must stay quiet there; ratio burn pages unless the low-traffic guard holds it back."""
    page = _native(r, AlertTier.page)
    if not page or not r.counts_events:
        return None
    b0, b_d = nominal_burn(r), _max_burn(r)
    depth = dip_depth(r)
    # When ratio burn's quickest tier has both windows past its factor (they fill with the dip's ratio).
    ratio_time = min(
        max(d.milliseconds * (w.factor - b0) / ((w.factor - b0) + depth * (b_d - w.factor)) for d in (w.short, w.long))
        for w in page
    )
    longest = max(w.long.milliseconds for w in page)
    for step, warmup in _candidates(_step(ratio_time / 8, (longest + ratio_time) / 150), longest, ratio_time):
        test = _dip(r, alerts, b0, b_d, depth, ratio_time, max(warmup, 2 * ratio_time), step)
        if test is not None:
            return test
    raise GenerationError(f"SLO {r.id}: a traffic dip cannot be shown quiet to budget burn and paging to ratio burn")


def _dip(r: ResolvedSLO, alerts: dict, b0: float, b_d: float, depth: float, ratio_time: float, warmup: int, step: int) -> dict | None:
    onset = _ceil(warmup, step)
    traffic = _traffic(r, (0, b0, RATE), (onset, b_d, RATE * depth))
    model = Model(r, traffic, step)
    exp = Expectations(r, model, alerts)
    checks = _nominal_check(exp, onset, r)
    first = onset + _ceil(ratio_time, step)
    t = _certain_from(exp, first, step, lateness(r, step) // step + 3, lambda s: True)
    if t is None:
        return None
    if r.burn == BurnBasis.budget and model.firing(AlertTier.page, t) is not False:
        raise GenerationError(f"SLO {r.id}: budget burn must not page on a dip to {depth:.2g} of the traffic")
    at_t = exp.checks(t)
    if not any(c["alertname"] == slo_rules.FREEZE_ALERT for c in at_t) and slo_rules.FREEZE_ALERT in alerts:
        return None
    checks += at_t
    return _scenario_test(r, traffic, step, t + step, checks)


def quiet_scenario(org: Organisation, r: ResolvedSLO, alerts: dict) -> dict | None:
    """With a low-traffic guard: a near-total outage at a trickle of traffic raises no burn alert."""
    min_events = r.slo.alerting.min_events
    if min_events is None or r.engine != Engine.native or sli.total_rate(r.slo, r.service.namespace, r.service.name) is None:
        return None
    longest = max(w.long.milliseconds for w in r.windows)
    shortest_long = min(w.long.milliseconds for w in r.windows)
    rate = 0.25 * min_events / (longest / 1000)
    step = _step(shortest_long / 8)
    traffic = _traffic(r, (0, _max_burn(r), rate))
    model = Model(r, traffic, step)
    exp = Expectations(r, model, alerts)
    t = _ceil(shortest_long, step) + step
    checks = exp.checks(t, [slo_rules.ALERT])
    if not checks or checks[0]["exp_alerts"]:
        raise GenerationError(f"SLO {r.id}: the low-traffic guard must hold back every burn alert")
    return _scenario_test(r, traffic, step, t + step, checks)


def _nominal_check(exp: Expectations, t: int, r: ResolvedSLO) -> list[dict]:
    checks = exp.checks(t)
    if len(checks) != len(exp.rules) or any(c["exp_alerts"] for c in checks):
        raise GenerationError(f"SLO {r.id}: nominal traffic must leave every alert quiet")
    return checks


SCENARIOS = {"fast": fast_scenario, "slow": slow_scenario, "dip": dip_scenario, "quiet": quiet_scenario}


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
    where = {
        id(slo): ("teams", ti, "services", si, "slos", ki)
        for ti, team in enumerate(org.teams)
        for si, service in enumerate(team.services)
        for ki, slo in enumerate(service.slos)
    }
    for r in resolved_slos(org):
        if r.engine == Engine.sloth:
            continue
        alerts = alert_rules(org, r)
        for name, scenario in SCENARIOS.items():
            try:
                test = scenario(org, r, alerts)
            except GenerationError as exc:
                raise GenerationError(str(exc), where[id(r.slo)]) from None
            if test is not None:
                out[f"slo-{r.id}-{name}.yaml"] = test
    return out
