"""The native SLO engine: Sloth-compatible recording rules, multi-window multi-burn-rate alerts and the error-budget
policy, in one rule group and one rule file (`slo-<service>-<slo>.yaml`) per SLO.

Recording names and labels are Sloth's (`slo:sli_error:ratio_rate<window>`, `sloth_id`/`sloth_service`/
`sloth_slo`), so Sloth's dashboards read them, and the policy rules work the same whether the native engine,
Sloth or Pyrra owns the alerts. Everything is in one group per SLO because later rules read earlier ones at the
same evaluation.

Two choices shape the rules of an SLI made of counters (docs/slo.md):

* what a burn rate measures (`BurnBasis`): `budget` compares the errors of a window with the budget the period's
  average traffic allows for that window (`slo:sli_error:budget_ratio_rate<w>`: errors per second over the
  window, over events per second over the period), `ratio` the window's own error ratio (Sloth's);
* how a window is evaluated (`EvaluationForm`): `direct` reads the raw series over the whole window, `cascaded`
  records error and event rates over one evaluation interval (`slo:sli_errors:rate<i>`, `slo:sli_events:rate<i>`)
  and sums those recordings over the window. Every window is a whole number of intervals and the group is
  evaluated at that interval, so the sums add up exactly the increases the direct form reads.

Budget accounting (the period's error ratio, the remaining budget, the freeze) sums the recorded counts in both
forms: traffic-weighted, never a mean of ratios.
"""

from __future__ import annotations

import functools

from alerting_facts.names import PROJECT
from model.base import Duration
from model.catalog import Organisation, Severity
from model.promql import number, quote
from model.slo import AlertWindow, BurnBasis, Engine, EvaluationForm, RawSLI, ResolvedSLO, enabled, resolved_slos
from model.slo import AlertTier
from render.rules import health as rules, sli

ALERT = "ErrorBudgetBurn"
EXHAUSTED_ALERT = "ErrorBudgetExhausted"
FREEZE_ALERT = "DeploymentFreeze"
INFO_MODE = PROJECT
SEVERITY = {AlertTier.page: Severity.critical, AlertTier.ticket: Severity.warning}

RATIO = "slo:sli_error:ratio_rate"
"""The error ratio over a window (Sloth's name)."""
BUDGET_RATIO = "slo:sli_error:budget_ratio_rate"
"""Errors over a window per event the period's average traffic brings in that window: the ratio budget burn reads."""
ERRORS = "slo:sli_errors:rate"
"""Bad events per second over a window."""
EVENTS = "slo:sli_events:rate"
"""Events per second over a window."""
REMAINING = "slo:period_error_budget_remaining:ratio"
WEIGHTED_REMAINING = "slo:period_error_budget_remaining:weighted"
"""The traffic-weighted remaining budget the platform records beside Sloth's own (a mean of 5m ratios)."""


def ids(r: ResolvedSLO) -> dict[str, str]:
    """The three labels that name an SLO in every Sloth series."""
    return {"sloth_id": r.id, "sloth_service": r.service.name, "sloth_slo": r.slo.name}


def selector(r: ResolvedSLO) -> str:
    return _selector(r.id, r.service.name, r.slo.name)


@functools.cache
def _selector(sloth_id: str, service: str, slo: str) -> str:
    # Every recorded series and alert of an SLO names it; the same three strings are quoted dozens of times.
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in {"sloth_id": sloth_id, "sloth_service": service, "sloth_slo": slo}.items()) + "}"


def series_labels(r: ResolvedSLO) -> dict[str, str]:
    """Labels of every recorded series of the SLO (and so of its alerts): its own labels and the ids."""
    return {**dict(sorted(r.slo.labels.items())), **ids(r)}


def windows(r: ResolvedSLO) -> list[Duration]:
    """Every window an SLI ratio is recorded for: the tiers' windows, shortest first."""
    return sorted({d for w in r.windows for d in (w.short, w.long)}, key=lambda d: d.milliseconds)


def base_window(r: ResolvedSLO) -> Duration:
    """The shortest window: Sloth's current burn rate and its period average are built on it."""
    return windows(r)[0]


def burn_series(r: ResolvedSLO) -> str:
    """The per-window series the burn alerts compare with factor x budget."""
    return BUDGET_RATIO if r.burn == BurnBasis.budget else RATIO


def cascaded(r: ResolvedSLO) -> bool:
    return r.counts_events and r.form == EvaluationForm.cascaded


def _window(labels: dict[str, str], w: Duration) -> dict[str, str]:
    return {**labels, "sloth_window": str(w)}


def _summed(r: ResolvedSLO, name: str, w: Duration) -> str:
    return f"sum_over_time({name}{r.interval}{selector(r)}[{w}])"


def _traffic_weighted_ratio(r: ResolvedSLO, w: Duration, sep: str = "\n") -> str:
    """Errors over events within `w`, from the recorded rates: a ratio of sums, never a mean of ratios."""
    return f"{_summed(r, ERRORS, w)}{sep}/{sep}{_summed(r, EVENTS, w)}" + ("\n" if sep == "\n" else "")


def _cascaded_burn(r: ResolvedSLO, w: Duration, sep: str = "\n") -> str:
    """A cascaded window's burn series, from the recorded interval rates."""
    if r.burn == BurnBasis.budget:
        errors = f"avg_over_time({ERRORS}{r.interval}{selector(r)}[{w}])"
        return f"{errors}{sep}/ ignoring (sloth_window){sep}{period_traffic(r)}" + ("\n" if sep == "\n" else "")
    return _traffic_weighted_ratio(r, w, sep)


def count_recordings(r: ResolvedSLO) -> list[dict]:
    """Error and event rates over one interval, `slo:sli_errors:rate<i>` and `slo:sli_events:rate<i>`: what the
    cascaded windows and every form's budget accounting sum."""
    if not r.counts_events:
        return []
    q = sli.queries(r.slo, r.service.namespace, r.service.name)
    labels, i = series_labels(r), r.interval
    # No `sloth_window` here: the sums over them carry their labels into series recorded with other windows.
    return [
        {"record": f"{ERRORS}{i}", "expr": sli.errors_rate(q, i), "labels": labels},
        {"record": f"{EVENTS}{i}", "expr": sli.at(q.total, i), "labels": labels},
    ]


def _rate_over(r: ResolvedSLO, name: str, direct: str, w: Duration) -> str:
    """Per-second rate over `w`: the recorded interval rates averaged (cascaded), or the raw query (direct)."""
    if cascaded(r):
        return f"avg_over_time({name}{r.interval}{selector(r)}[{w}])"
    return f"({sli.at(direct, w)})"


def period_traffic(r: ResolvedSLO) -> str:
    """The series of the period's average traffic, events per second, that budget burn divides by."""
    return f"{EVENTS}{r.slo.period}{selector(r)}"


def sli_recordings(r: ResolvedSLO) -> list[dict]:
    """The SLI over every alert window and over the period, for the SLO's burn basis and evaluation form."""
    q = sli.queries(r.slo, r.service.namespace, r.service.name)
    labels, period, sel = series_labels(r), r.slo.period, selector(r)
    if isinstance(q, sli.RawQuery):
        # A raw ratio cannot be split into counts: each window from the query, the period as its time average.
        out = [{"record": f"{RATIO}{w}", "expr": sli.error_ratio(q, w), "labels": _window(labels, w)} for w in windows(r)]
        if period not in windows(r):
            base = base_window(r)
            out.append(
                {
                    "record": f"{RATIO}{period}",
                    "expr": f"sum_over_time({RATIO}{base}{sel}[{period}])\n/ ignoring (sloth_window)\n"
                    f"count_over_time({RATIO}{base}{sel}[{period}])\n",
                    "labels": _window(labels, period),
                }
            )
        return out
    out = count_recordings(r)
    if r.burn == BurnBasis.budget:
        out.append(
            {
                "record": f"{EVENTS}{period}",
                "expr": f"avg_over_time({EVENTS}{r.interval}{sel}[{period}])",
                "labels": _window(labels, period),
            }
        )
        for w in windows(r):
            expr = _cascaded_burn(r, w) if cascaded(r) else f"({sli.errors_rate(q, w)})\n/ on()\n{period_traffic(r)}\n"
            out.append({"record": f"{BUDGET_RATIO}{w}", "expr": expr, "labels": _window(labels, w)})
    else:
        for w in windows(r):
            expr = _cascaded_burn(r, w) if cascaded(r) else sli.error_ratio(q, w)
            out.append({"record": f"{RATIO}{w}", "expr": expr, "labels": _window(labels, w)})
    if r.burn == BurnBasis.budget or period not in windows(r):
        out.append({"record": f"{RATIO}{period}", "expr": _traffic_weighted_ratio(r, period), "labels": _window(labels, period)})
    return out


def event_recordings(r: ResolvedSLO) -> list[dict]:
    """With the low-traffic guard: events per second over each long window, `slo:sli_events:rate<w>`."""
    total = sli.total_rate(r.slo, r.service.namespace, r.service.name)
    if r.slo.alerting.min_events is None or total is None:
        return []
    recorded = {r.interval} if r.counts_events else set()
    if r.burn == BurnBasis.budget:
        recorded.add(r.slo.period)  # the period's traffic, recorded for the budget already
    longs = sorted({w.long for w in r.windows} - recorded, key=lambda d: d.milliseconds)
    labels = series_labels(r)
    return [{"record": f"{EVENTS}{w}", "expr": _rate_over(r, EVENTS, total, w), "labels": _window(labels, w)} for w in longs]


def meta_recordings(r: ResolvedSLO) -> list[dict]:
    """Objective, budget, period, current and period burn rate, remaining budget and the info series."""
    labels, sel, period = series_labels(r), selector(r), r.slo.period
    objective = r.slo.objective / 100
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({number(objective)})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{number(objective)})", "labels": labels},
        {"record": "slo:time_period:days", "expr": f"vector({number(period.milliseconds / 86_400_000)})", "labels": labels},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{burn_series(r)}{base_window(r)}{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
            f"slo:error_budget:ratio{sel}\n",
            "labels": labels,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"{RATIO}{period}{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
            f"slo:error_budget:ratio{sel}\n",
            "labels": labels,
        },
        {"record": REMAINING, "expr": f"1 - slo:period_burn_rate:ratio{sel}", "labels": labels},
        {
            "record": "sloth_slo_info",
            "expr": "vector(1)",
            "labels": {**labels, "sloth_mode": INFO_MODE, "sloth_objective": number(r.slo.objective), "sloth_spec": "prometheus/v1"},
        },
    ]


def good_ratio_recording(r: ResolvedSLO) -> list[dict]:
    """For raw SLIs: the good share over the shortest window, the gauge Pyrra's bool_gauge indicator reads."""
    if not isinstance(r.slo.sli, RawSLI):
        return []
    w = base_window(r) if r.engine != Engine.sloth else Duration.of(minutes=5)
    return [
        {
            "record": f"slo:sli_good:ratio_rate{w}",
            "expr": f"1 - slo:sli_error:ratio_rate{w}{selector(r)}",
            "labels": {**series_labels(r), "sloth_window": str(w)},
        }
    ]


def pyrra_bridge_metric(r: ResolvedSLO) -> str:
    """The series `good_ratio_recording` writes, as a selector Pyrra accepts."""
    w = base_window(r) if r.engine != Engine.sloth else Duration.of(minutes=5)
    return f'slo:sli_good:ratio_rate{w}{{sloth_id="{r.id}"}}'


def remaining_series(r: ResolvedSLO) -> str:
    """The remaining-budget series the policy reads: the platform's own, traffic-weighted one, also beside Sloth."""
    return WEIGHTED_REMAINING if r.engine == Engine.sloth and r.counts_events else REMAINING


def weighted_remaining_recording(r: ResolvedSLO) -> list[dict]:
    """For Sloth-owned SLIs of counters: the remaining budget from the recorded counts (Sloth's averages ratios)."""
    if remaining_series(r) != WEIGHTED_REMAINING:
        return []
    ratio = _traffic_weighted_ratio(r, r.slo.period)
    return [{"record": WEIGHTED_REMAINING, "expr": f"1 - (\n{ratio})\n/ {number(r.budget)}\n", "labels": series_labels(r)}]


def _remaining(r: ResolvedSLO) -> str:
    # Sloth's budget series keeps the `sloth_window` of the period ratio it divides; the policy drops it.
    return f"max without (sloth_window) ({remaining_series(r)}{selector(r)})"


def policy_recordings(r: ResolvedSLO) -> list[dict]:
    """Burn trend, days until the budget runs out at that trend, and the deployment-freeze signal (1 or 0)."""
    labels, sel = series_labels(r), selector(r)
    return [
        {
            "record": "slo:period_error_budget_remaining:trend_per_day",
            "expr": f"max without (sloth_window) (deriv({remaining_series(r)}{sel}[{r.policy.trend_window}])) * 86400",
            "labels": labels,
        },
        {
            "record": "slo:period_error_budget_remaining:days_to_exhaustion",
            "expr": f"{_remaining(r)}\n/ -(slo:period_error_budget_remaining:trend_per_day{sel} < 0)\n",
            "labels": labels,
        },
        {
            "record": "slo:deployment_freeze:bool",
            "expr": f"{_remaining(r)} < bool {number(r.policy.freeze_below)}",
            "labels": labels,
        },
    ]


def _pair(r: ResolvedSLO, w: AlertWindow) -> str:
    """One tier: both windows past the threshold (and the guard's event count). A direct window is read from its
    recording; a cascaded one is summed here from the interval rates, so that the alert stands as many recordings
    from the raw series in either form and, in vmalert, fires at the same evaluation."""
    sel, threshold = selector(r), f"({number(w.factor)} * {number(r.budget)})"
    if cascaded(r):
        parts = [f"max(({_cascaded_burn(r, d, ' ')}) > {threshold}) without (sloth_window)" for d in (w.short, w.long)]
    else:
        parts = [f"max({burn_series(r)}{d}{sel} > {threshold}) without (sloth_window)" for d in (w.short, w.long)]
    if r.slo.alerting.min_events is not None and sli.total_rate(r.slo, r.service.namespace, r.service.name) is not None:
        per_second = number(r.slo.alerting.min_events / (w.long.milliseconds / 1000))
        if cascaded(r):
            events = f"avg_over_time({EVENTS}{r.interval}{sel}[{w.long}])"
            if r.burn == BurnBasis.budget and w.long == r.slo.period:
                events = period_traffic(r)
            parts.append(f"max({events} >= {per_second}) without (sloth_window)")
        else:
            parts.append(f"max({EVENTS}{w.long}{sel} >= {per_second}) without (sloth_window)")
    return "(\n    " + "\n    and\n    ".join(parts) + "\n)"


def _lasts(r: ResolvedSLO, factor: float) -> Duration:
    return Duration(round(r.slo.period.milliseconds / factor / 60_000) * 60_000)


def burn_alerts(org: Organisation, r: ResolvedSLO) -> list[dict]:
    """The page and the ticket alert: each an OR of its tiers, each tier an AND of its short and long window."""
    out = []
    for tier in (AlertTier.page, AlertTier.ticket):
        tiers = r.tiers(tier)
        if not tiers or not enabled(r.slo.alerting, tier):
            continue
        expr = "\nor\n".join(_pair(r, w) for w in tiers) + "\n"
        spans = ", or ".join(f"{number(w.factor)}x the sustainable rate over both {w.short} and {w.long}" for w in tiers)
        fastest = min(w.factor for w in tiers)
        what = "burning its error budget too fast" if tier == AlertTier.page else "burning its error budget faster than it lasts"
        out.append(
            rules.alert(
                org, r.team, r.service,
                name=ALERT,
                expr=expr,
                severity=SEVERITY[tier],
                for_=r.slo.alerting.page_for if tier == AlertTier.page else r.slo.alerting.ticket_for,
                labels={"slo": r.id, "sloth_severity": tier.value},
                summary=f"{r.service.name}: SLO {r.slo.name} is {what}",
                description=f"The {number(r.slo.objective)}% over {r.slo.period} SLO {r.slo.name} of {r.service.name} "
                f"is spending its error budget at {spans}. At {number(fastest)}x the {r.slo.period} budget "
                f"lasts {_lasts(r, fastest)}.",
            )
        )
    return out


def budget_alerts(org: Organisation, r: ResolvedSLO) -> list[dict]:
    """The budget-exhausted ticket (opt-in) and the deployment freeze (always, carrying `freeze="true"`)."""
    sel, out = selector(r), []
    if r.slo.alerting.budget_exhausted:
        out.append(
            rules.alert(
                org, r.team, r.service,
                name=EXHAUSTED_ALERT,
                expr=f"{_remaining(r)} <= 0",
                severity=Severity.warning,
                labels={"slo": r.id},
                summary=f"{r.service.name}: SLO {r.slo.name} has no error budget left",
                description=f"The {number(r.slo.objective)}% SLO {r.slo.name} of {r.service.name} has spent its whole "
                f"error budget for the last {r.slo.period}.",
            )
        )
    out.append(
        rules.alert(
            org, r.team, r.service,
            name=FREEZE_ALERT,
            expr=f"slo:deployment_freeze:bool{sel} == 1",
            severity=Severity.warning,
            labels={"slo": r.id, "freeze": "true"},
            summary=f"{r.service.name}: deployments freeze, SLO {r.slo.name} is low on error budget",
            description=f"Less than {r.policy.freeze_below:.0%} of the {r.slo.period} error budget of SLO {r.slo.name} "
            f"remains. The error-budget policy freezes deployments of {r.service.name} until it recovers.",
        )
    )
    return out


def slo_group(org: Organisation, r: ResolvedSLO) -> dict:
    """The rule group of one SLO; what it holds depends on which engine owns the SLO's alerts."""
    if r.engine == Engine.sloth:
        # Sloth records the SLI and metadata itself; only the policy (and Pyrra's bridge) read its series.
        body = count_recordings(r) + weighted_remaining_recording(r) + policy_recordings(r) + good_ratio_recording(r)
        body += budget_alerts(org, r)
    else:
        body = sli_recordings(r) + event_recordings(r) + meta_recordings(r) + good_ratio_recording(r)
        body += policy_recordings(r)
        body += (burn_alerts(org, r) if r.engine == Engine.native else []) + budget_alerts(org, r)
    group: dict = {"name": group_name(r)}
    if r.slo.alerting.interval is not None or r.counts_events:
        # The recorded interval rates tile time only when the group runs at their window: then the cascaded
        # windows and the budget accounting add up exactly what the raw counters say.
        group["interval"] = str(r.interval)
    group["rules"] = body
    return group


def group_name(r: ResolvedSLO) -> str:
    return f"slo-{r.id}"


def file_name(r: ResolvedSLO) -> str:
    return f"slo-{r.id}.yaml"


def slo_rule_files(org: Organisation) -> dict[str, dict]:
    """One rule file per SLO, as Sloth and Pyrra write one rule object per SLO: a change to one SLO touches one
    VMRule, and its behaviour tests evaluate its own rules only."""
    return {file_name(r): {"groups": [slo_group(org, r)]} for r in resolved_slos(org)}
