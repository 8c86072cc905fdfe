"""The native SLO engine: Sloth-compatible recording rules, multi-window multi-burn-rate alerts and the error-budget
policy, in one rule group and one rule file (`slo-<service>-<slo>.yaml`) per SLO.

Recording names and labels are Sloth's (`slo:sli_error:ratio_rate<window>`, `sloth_id`/`sloth_service`/
`sloth_slo`), so Sloth's dashboards read them, and the policy rules work the same whether the native engine,
Sloth or Pyrra owns the alerts. Everything is in one group per SLO because later rules read earlier ones at the
same evaluation.
"""

from __future__ import annotations

from model.base import Duration
from model.catalog import Organisation, Severity
from model.promql import number, quote
from model.slo import AlertWindow, Engine, RawSLI, ResolvedSLO, enabled, resolved_slos
from model.slo import Severity as Tier
from render import rules, sli

ALERT = "ErrorBudgetBurn"
EXHAUSTED_ALERT = "ErrorBudgetExhausted"
FREEZE_ALERT = "DeploymentFreeze"
INFO_MODE = "alerting-platform"
SEVERITY = {Tier.page: Severity.critical, Tier.ticket: Severity.warning}


def ids(r: ResolvedSLO) -> dict[str, str]:
    """The three labels that name an SLO in every Sloth series."""
    return {"sloth_id": r.id, "sloth_service": r.service.name, "sloth_slo": r.slo.name}


def selector(r: ResolvedSLO) -> str:
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in ids(r).items()) + "}"


def series_labels(r: ResolvedSLO) -> dict[str, str]:
    """Labels of every recorded series of the SLO (and so of its alerts): its own labels and the ids."""
    return {**dict(sorted(r.slo.labels.items())), **ids(r)}


def windows(r: ResolvedSLO) -> list[Duration]:
    """Every window an SLI ratio is recorded for: the tiers' windows, shortest first."""
    return sorted({d for w in r.windows for d in (w.short, w.long)}, key=lambda d: d.milliseconds)


def base_window(r: ResolvedSLO) -> Duration:
    """The shortest window: Sloth's current burn rate and its period average are built on it."""
    return windows(r)[0]


def sli_recordings(r: ResolvedSLO) -> list[dict]:
    """`slo:sli_error:ratio_rate<w>` for every alert window, and the period ratio as the mean of the shortest."""
    q = sli.queries(r.slo, r.service.namespace, r.service.name)
    labels = series_labels(r)
    out = [
        {"record": f"slo:sli_error:ratio_rate{w}", "expr": sli.error_ratio(q, w), "labels": {**labels, "sloth_window": str(w)}}
        for w in windows(r)
    ]
    base, period, sel = base_window(r), r.slo.period, selector(r)
    if period in windows(r):
        return out  # an alert already records the whole period exactly
    out.append(
        {
            "record": f"slo:sli_error:ratio_rate{period}",
            "expr": f"sum_over_time(slo:sli_error:ratio_rate{base}{sel}[{period}])\n/ ignoring (sloth_window)\n"
            f"count_over_time(slo:sli_error:ratio_rate{base}{sel}[{period}])\n",
            "labels": {**labels, "sloth_window": str(period)},
        }
    )
    return out


def event_recordings(r: ResolvedSLO) -> list[dict]:
    """With the low-traffic guard: events per second over each long window, `slo:sli_events:rate<w>`."""
    total = sli.total_rate(r.slo, r.service.namespace, r.service.name)
    if r.slo.alerting.min_events is None or total is None:
        return []
    longs = sorted({w.long for w in r.windows}, key=lambda d: d.milliseconds)
    labels = series_labels(r)
    return [{"record": f"slo:sli_events:rate{w}", "expr": sli.at(total, w), "labels": {**labels, "sloth_window": str(w)}} for w in longs]


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
            "expr": f"slo:sli_error:ratio_rate{base_window(r)}{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
            f"slo:error_budget:ratio{sel}\n",
            "labels": labels,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"slo:sli_error:ratio_rate{period}{sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
            f"slo:error_budget:ratio{sel}\n",
            "labels": labels,
        },
        {"record": "slo:period_error_budget_remaining:ratio", "expr": f"1 - slo:period_burn_rate:ratio{sel}", "labels": labels},
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


def _remaining(r: ResolvedSLO) -> str:
    # Sloth's budget series keeps the `sloth_window` of the period ratio it divides; the policy drops it.
    return f"max without (sloth_window) (slo:period_error_budget_remaining:ratio{selector(r)})"


def policy_recordings(r: ResolvedSLO) -> list[dict]:
    """Burn trend, days until the budget runs out at that trend, and the deployment-freeze signal (1 or 0)."""
    labels, sel = series_labels(r), selector(r)
    return [
        {
            "record": "slo:period_error_budget_remaining:trend_per_day",
            "expr": f"max without (sloth_window) (deriv(slo:period_error_budget_remaining:ratio{sel}[{r.policy.trend_window}])) * 86400",
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
    sel, threshold = selector(r), f"({number(w.factor)} * {number(r.budget)})"
    parts = [
        f"max(slo:sli_error:ratio_rate{d}{sel} > {threshold}) without (sloth_window)" for d in (w.short, w.long)
    ]
    if r.slo.alerting.min_events is not None and sli.total_rate(r.slo, r.service.namespace, r.service.name) is not None:
        per_second = r.slo.alerting.min_events / (w.long.milliseconds / 1000)
        parts.append(f"max(slo:sli_events:rate{w.long}{sel} >= {number(per_second)}) without (sloth_window)")
    return "(\n    " + "\n    and\n    ".join(parts) + "\n)"


def _lasts(r: ResolvedSLO, factor: float) -> Duration:
    return Duration(round(r.slo.period.milliseconds / factor / 60_000) * 60_000)


def burn_alerts(org: Organisation, r: ResolvedSLO) -> list[dict]:
    """The page and the ticket alert: each an OR of its tiers, each tier an AND of its short and long window."""
    out = []
    for tier in (Tier.page, Tier.ticket):
        tiers = r.tiers(tier)
        if not tiers or not enabled(r.slo.alerting, tier):
            continue
        expr = "\nor\n".join(_pair(r, w) for w in tiers) + "\n"
        spans = ", or ".join(f"{number(w.factor)}x the sustainable rate over both {w.short} and {w.long}" for w in tiers)
        fastest = min(w.factor for w in tiers)
        what = "burning its error budget too fast" if tier == Tier.page else "burning its error budget faster than it lasts"
        out.append(
            rules.alert(
                org, r.team, r.service,
                name=ALERT,
                expr=expr,
                severity=SEVERITY[tier],
                for_=r.slo.alerting.page_for if tier == Tier.page else r.slo.alerting.ticket_for,
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
        body = policy_recordings(r) + good_ratio_recording(r) + budget_alerts(org, r)
    else:
        body = sli_recordings(r) + event_recordings(r) + meta_recordings(r) + good_ratio_recording(r)
        body += policy_recordings(r)
        body += (burn_alerts(org, r) if r.engine == Engine.native else []) + budget_alerts(org, r)
    group: dict = {"name": group_name(r)}
    if r.slo.alerting.interval is not None:
        group["interval"] = str(r.slo.alerting.interval)
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
