"""SLO sanity: objectives between 0 and 100, periods of at least a day, burn-rate windows that fit their period.

SLOs reach the cluster three ways, and each is judged where it is written: Sloth's PrometheusServiceLevel
objects (objective per SLO; the period and its alert windows are the Sloth controller's, set in its chart
values), Pyrra's ServiceLevelObjective objects (target and window; Pyrra scales its windows from the window),
and the platform's own multi-window multi-burn-rate rules, which use Sloth's recording names
(`slo:objective:ratio`, `slo:time_period:days`, `slo:sli_error:ratio_rate<window>`, and
`slo:sli_error:budget_ratio_rate<window>` for budget burn). Windows the native engine sums from recorded interval
rates (`slo:sli_errors:rate<interval>`) add up only if their group runs at that interval and each window is a whole
number of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pulumi_policy import Severity

from alerting_facts import durations
from alerting_facts.labels import SLOTH_ID
from alerting_facts.names import SLO_TIERS
from .framework import Reporter, resource_policy
from .values import dig, kube_object, release

RULE_KINDS = {("operator.victoriametrics.com", "VMRule"), ("monitoring.coreos.com", "PrometheusRule")}
SLOTH_DEFAULT_PERIOD = "30d"
SLOTH_BUILT_IN_PERIODS = ["30d", "28d"]
# Pyrra's alert tiers: (short, long) window = SLO window divided by these (pyrra slo/rules.go `Windows`).
PYRRA_TIERS = (("fast", 8064, 672), ("medium", 1344, 112), ("slow", 336, 28), ("long-term", 112, 7))
_VECTOR = re.compile(r"^\s*vector\(\s*([0-9.eE+-]+)\s*\)\s*$")
_BURN = re.compile(r"slo:sli_error:(?:budget_)?ratio_rate(\w+)\s*\{([^}]*)\}\s*\)?\s*>\s*\(?\s*([0-9.eE+-]+)\s*\*")
# A cascaded alert's window, summed in the alert: `(sum|avg)_over_time(slo:sli_errors:rate1m{...}[w]) / ... > (f *`.
_CASCADED_BURN = re.compile(
    r"(?:sum|avg)_over_time\(\s*slo:sli_errors:rate\w+\s*\{([^}]*)\}\s*\[(\w+)\]\s*\)[^>]*>\s*\(?\s*([0-9.eE+-]+)\s*\*"
)
# A window summed from recorded interval rates (the native engine's cascaded form).
_CASCADE = re.compile(r"(?:sum|avg)_over_time\(\s*slo:sli_(?:errors|events):rate(\w+)\s*\{[^}]*\}\s*\[(\w+)\]")
_SLOTH_ID = re.compile(r'sloth_id\s*=\s*"([^"]+)"')


@dataclass(frozen=True)
class Objective:
    subject: str
    where: str
    slo: str
    percent: float | None
    written: object


@dataclass(frozen=True)
class Period:
    subject: str
    where: str
    slo: str
    seconds: float | None
    written: object


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _rules(obj) -> Iterator[tuple[str, dict]]:
    for g, group in enumerate(obj.spec.get("groups") or []):
        for r, rule in enumerate((group or {}).get("rules") or []):
            if isinstance(rule, dict):
                yield f"spec.groups[{g}].rules[{r}]", rule


def _sloth_id(rule: dict) -> str:
    labels = rule.get("labels") or {}
    found = _SLOTH_ID.search(str(rule.get("expr", "")))
    return str(labels.get(SLOTH_ID) or (found.group(1) if found else "(unnamed)"))


def objectives(resource_type: str, props: object, name: str) -> Iterator[Objective]:
    """Every SLO objective a resource states, as a percentage."""
    obj = kube_object(resource_type, props, name)
    if obj is None:
        return
    if (obj.group, obj.kind) == ("sloth.slok.dev", "PrometheusServiceLevel"):
        for s, slo in enumerate(obj.spec.get("slos") or []):
            value = (slo or {}).get("objective")
            yield Objective(obj.subject, f"spec.slos[{s}].objective", str(slo.get("name")), _number(value), value)
    elif (obj.group, obj.kind) == ("pyrra.dev", "ServiceLevelObjective"):
        value = obj.spec.get("target")
        yield Objective(obj.subject, "spec.target", obj.name, _number(value), value)
    elif (obj.group, obj.kind) in RULE_KINDS:
        for where, rule in _rules(obj):
            if rule.get("record") == "slo:objective:ratio":
                found = _VECTOR.match(str(rule.get("expr", "")))
                ratio = float(found.group(1)) if found else None
                yield Objective(obj.subject, where, _sloth_id(rule), None if ratio is None else ratio * 100, rule.get("expr"))


def sloth_period(values: dict) -> object:
    return dig(values, ("sloth", "defaultSloPeriod")) or SLOTH_DEFAULT_PERIOD


def periods(resource_type: str, props: object, name: str) -> Iterator[Period]:
    """Every SLO period a resource states."""
    rel = release(resource_type, props, name)
    if rel is not None and rel.chart_name == "sloth":
        value = sloth_period(rel.values)
        yield Period(rel.subject, "values.sloth.defaultSloPeriod", "every Sloth SLO", durations.seconds(value), value)
        return
    obj = kube_object(resource_type, props, name)
    if obj is None:
        return
    if (obj.group, obj.kind) == ("pyrra.dev", "ServiceLevelObjective"):
        value = obj.spec.get("window")
        yield Period(obj.subject, "spec.window", obj.name, durations.seconds(value), value)
    elif (obj.group, obj.kind) in RULE_KINDS:
        for where, rule in _rules(obj):
            if rule.get("record") == "slo:time_period:days":
                found = _VECTOR.match(str(rule.get("expr", "")))
                days = float(found.group(1)) if found else None
                yield Period(obj.subject, where, _sloth_id(rule), None if days is None else days * durations.DAY, rule.get("expr"))


# --- Objective -----------------------------------------------------------------------------------------------


def check_objective(args, config: dict, report: Reporter) -> None:
    low, high = config["minObjective"], config["maxObjective"]
    for found in objectives(args.resource_type, args.props, args.name):
        if found.percent is None:
            report(found.subject, f"SLO {found.slo}: objective {found.written!r} is not a number", found.where, args.urn)
        elif not low < found.percent < high:
            report(
                found.subject,
                f"SLO {found.slo}: objective {found.percent:g}% is outside ({low:g}, {high:g}); "
                "100% leaves no error budget and 0% promises nothing",
                found.where,
                args.urn,
            )


OBJECTIVE_RANGE = resource_policy(
    "slo-objective-range",
    "Every SLO objective lies strictly between 0% and 100%.",
    check_objective,
    severity=Severity.HIGH,
    schema={
        "minObjective": {"type": "number", "default": 0, "description": "objectives must be above this percentage"},
        "maxObjective": {"type": "number", "default": 100, "description": "objectives must be below this percentage"},
    },
    remediation="Write the objective as a percentage such as 99.9.",
)

# --- Period --------------------------------------------------------------------------------------------------


def check_period(args, config: dict, report: Reporter) -> None:
    minimum = durations.seconds(config["minPeriod"]) or durations.DAY
    for found in periods(args.resource_type, args.props, args.name):
        if found.seconds is None:
            report(found.subject, f"SLO {found.slo}: period {found.written!r} is not a duration", found.where, args.urn)
        elif found.seconds < minimum:
            report(
                found.subject,
                f"SLO {found.slo}: period {durations.show(found.seconds)} is shorter than {config['minPeriod']}; "
                "budgets over hours page on noise",
                found.where,
                args.urn,
            )


PERIOD_MINIMUM = resource_policy(
    "slo-period-minimum",
    "Every SLO is measured over a period of at least one day.",
    check_period,
    severity=Severity.MEDIUM,
    schema={"minPeriod": {"type": "string", "default": "1d", "description": "shortest SLO period (a Prometheus duration)"}},
    remediation="Use a period such as 28d or 30d.",
)

# --- Burn-rate windows ----------------------------------------------------------------------------------------


def _minute_rounded(value: float) -> float:
    """Rounded to the minute, halves away from zero, the way Pyrra rounds its windows."""
    return float(int(value / 60 + 0.5) * 60)


def pyrra_windows(window: float) -> list[tuple[str, float, float]]:
    """(tier, short, long) of the burn-rate alerts Pyrra writes for an SLO window, in seconds."""
    return [(tier, _minute_rounded(window / short), _minute_rounded(window / long_)) for tier, short, long_ in PYRRA_TIERS]


def sloth_window_problems(values: dict, config: dict) -> Iterator[tuple[str, str]]:
    """(where, problem) of the Sloth controller's alert windows against its SLO period."""
    period_text = sloth_period(values)
    period = durations.seconds(period_text)
    if period is None:
        return
    custom = dig(values, ("customSloConfig",)) or {}
    if custom.get("enabled") is not True:
        built_in = [durations.seconds(p) for p in config["slothBuiltInPeriods"]]
        if period not in built_in:
            yield (
                "values.sloth.defaultSloPeriod",
                f"Sloth has alert windows only for {', '.join(config['slothBuiltInPeriods'])}, not {period_text}; "
                "give it an AlertWindows spec for that period in `customSloConfig`",
            )
        return
    spec = dig(custom, ("data", "spec")) or {}
    stated = durations.seconds(spec.get("sloPeriod"))
    if stated != period:
        yield (
            "values.customSloConfig.data.spec.sloPeriod",
            f"the AlertWindows are for {spec.get('sloPeriod')!r} but Sloth's period is {period_text}: Sloth would find no windows",
        )
        return
    for severity in SLO_TIERS:
        for speed in ("quick", "slow"):
            window = dig(spec, (severity, speed)) or {}
            at = f"values.customSloConfig.data.spec.{severity}.{speed}"
            short, long_ = durations.seconds(window.get("shortWindow")), durations.seconds(window.get("longWindow"))
            budget = window.get("errorBudgetPercent")
            if not short or not long_:
                yield at, "needs shortWindow and longWindow as durations"
                continue
            if short >= long_:
                yield at, f"shortWindow {window['shortWindow']} is not shorter than longWindow {window['longWindow']}"
            if long_ > period:
                yield at, f"longWindow {window['longWindow']} is longer than the SLO period {period_text}"
            if not isinstance(budget, (int, float)) or not 0 < budget <= 100:
                yield at, f"errorBudgetPercent {budget!r} is not a share of the budget in (0, 100]"


def native_window_problems(obj) -> Iterator[tuple[str, str]]:
    """(where, problem) of Sloth-style burn-rate alerts against the period recorded beside them."""
    period_of: dict[str, float] = {}
    for _, rule in _rules(obj):
        if rule.get("record") == "slo:time_period:days":
            found = _VECTOR.match(str(rule.get("expr", "")))
            if found:
                period_of[_sloth_id(rule)] = float(found.group(1)) * durations.DAY
    for where, rule in _rules(obj):
        if not rule.get("alert"):
            continue
        by_slo: dict[str, dict[float, list[float]]] = {}
        expr = str(rule.get("expr", ""))
        found = _BURN.findall(expr) + [(window, selector, factor) for selector, window, factor in _CASCADED_BURN.findall(expr)]
        for window, selector, factor in found:
            slo = _SLOTH_ID.search(selector)
            seconds = durations.seconds(window)
            if slo is None or seconds is None:
                continue
            by_slo.setdefault(slo.group(1), {}).setdefault(float(factor), []).append(seconds)
        for slo, pairs in by_slo.items():
            period = period_of.get(slo)
            if period is None:
                continue
            for factor, windows in sorted(pairs.items()):
                longest = max(windows)
                if longest > period:
                    yield where, f"alert {rule['alert']} ({slo}) reads a {durations.show(longest)} window, longer than its {durations.show(period)} period"
                elif factor * longest > period:
                    yield where, (
                        f"alert {rule['alert']} ({slo}) fires at {factor:g}x burn over {durations.show(longest)}, "
                        f"which spends {factor * longest / period:.0%} of the {durations.show(period)} budget before it fires"
                    )
                if len(set(windows)) == 1 and len(windows) > 1:
                    yield where, f"alert {rule['alert']} ({slo}) pairs the {durations.show(longest)} window with itself"


def cascade_problems(obj) -> Iterator[tuple[str, str]]:
    """(where, problem) of windows summed from recorded interval rates that cannot add up to the window."""
    for g, group in enumerate(obj.spec.get("groups") or []):
        group = group or {}
        interval = durations.seconds(group.get("interval")) if group.get("interval") else None
        for r, rule in enumerate(group.get("rules") or []):
            if not isinstance(rule, dict):
                continue
            where = f"spec.groups[{g}].rules[{r}]"
            name = rule.get("record") or rule.get("alert")
            for step_text, window_text in _CASCADE.findall(str(rule.get("expr", ""))):
                step, window = durations.seconds(step_text), durations.seconds(window_text)
                if not step or not window:
                    continue
                if interval != step:
                    runs = f"runs every {group.get('interval')}" if interval else "takes the evaluator's interval"
                    yield where, (
                        f"{name} sums {step_text} rates over {window_text} but its group {runs}: the sum is the "
                        f"window's only when each {step_text} is recorded once; set the group's interval to {step_text}"
                    )
                elif window % step:
                    yield where, f"{name} sums {step_text} rates over {window_text}, which is not a whole number of {step_text}"


def check_windows(args, config: dict, report: Reporter) -> None:
    minimum = durations.seconds(config["minWindow"]) or 60.0
    rel = release(args.resource_type, args.props, args.name)
    if rel is not None and rel.chart_name == "sloth":
        for where, problem in sloth_window_problems(rel.values, config):
            report(rel.subject, problem, where, args.urn)
        return
    obj = kube_object(args.resource_type, args.props, args.name)
    if obj is None:
        return
    if (obj.group, obj.kind) == ("pyrra.dev", "ServiceLevelObjective"):
        window = durations.seconds(obj.spec.get("window"))
        alerting = obj.spec.get("alerting") or {}
        if not window or alerting.get("burnrates") is False or alerting.get("disabled") is True:
            return
        for tier, short, _long in pyrra_windows(window):
            if short < minimum:
                report(
                    obj.subject,
                    f"SLO {obj.name}: a {obj.spec.get('window')} window gives Pyrra's {tier} alert a "
                    f"{durations.show(short)} short window (under {config['minWindow']}); lengthen the window",
                    "spec.window",
                    args.urn,
                )
                break
    elif (obj.group, obj.kind) in RULE_KINDS:
        for where, problem in [*native_window_problems(obj), *cascade_problems(obj)]:
            report(obj.subject, problem, where, args.urn)


BURN_RATE_WINDOWS = resource_policy(
    "slo-burn-rate-windows",
    "Every SLO's burn-rate alert windows exist for its period, fit inside it, and add up where they are summed.",
    check_windows,
    severity=Severity.HIGH,
    schema={
        "minWindow": {"type": "string", "default": "1m", "description": "shortest usable alert window"},
        "slothBuiltInPeriods": {
            "type": "array",
            "items": {"type": "string"},
            "default": SLOTH_BUILT_IN_PERIODS,
            "description": "periods Sloth ships alert windows for",
        },
    },
    remediation="Use a 28d or 30d period, or give Sloth AlertWindows for the period in `customSloConfig`.",
)

POLICIES = [OBJECTIVE_RANGE, PERIOD_MINIMUM, BURN_RATE_WINDOWS]
