"""Sloth `PrometheusServiceLevel` and Pyrra `ServiceLevelObjective` objects: one of each per SLO.

Every SLO gets both (Pyrra from the period on where its windows work), so `kubectl get slos` lists all of them
and Pyrra shows their error budgets. Exactly one
engine alerts: the label `ENGINE_LABEL` names it, the Sloth controller only reconciles objects labelled `sloth`
(`SLOTH_LABEL_SELECTOR`), and Pyrra's burn-rate and absent alerts are off unless Pyrra owns the SLO.
"""

from __future__ import annotations

from alerting_facts.names import PROJECT
from model.catalog import Organisation, Severity
from model.priority import classify
from model.promql import number
from model.slo import Engine, RawSLI, ResolvedSLO, enabled, pyrra_can_window, resolved_slos
from model.slo import AlertTier
from render.rules import sli, slo as slo_rules
from render.systems.topology import MONITORING_NAMESPACE

SLOTH_API = "sloth.slok.dev/v1"
PYRRA_API = "pyrra.dev/v1alpha1"
ENGINE_LABEL = "alerting-platform.dev/slo-engine"
TEAM_LABEL = "alerting-platform.dev/team"
"""The owning team; the components group each team's SLO objects by it."""
SLOTH_LABEL_SELECTOR = f"{ENGINE_LABEL}=sloth"
"""The Sloth controller's --label-selector: it generates rules only for SLOs Sloth owns."""
MANAGED_BY = {"app.kubernetes.io/managed-by": PROJECT}
PYRRA_PREFIX = "pyrra.dev/"


def _metadata(r: ResolvedSLO) -> dict:
    return {
        "name": r.id,
        "namespace": MONITORING_NAMESPACE,
        "labels": {**MANAGED_BY, ENGINE_LABEL: r.engine.value, TEAM_LABEL: r.team.name},
    }


def _routing_labels(org: Organisation, r: ResolvedSLO, severity: Severity) -> dict[str, str]:
    return {
        "severity": severity.value,
        "priority": classify(severity, r.service.tier, r.service.impact, org.major_impact_users).value,
    }


def _annotations(r: ResolvedSLO) -> dict[str, str]:
    return {"runbook_url": r.service.runbook_url, "dashboard_url": r.service.dashboard_url}


def sloth_sli(r: ResolvedSLO) -> dict:
    """The SLI in Sloth's spec: events queries or a raw error-ratio query, `{{.window}}` left for Sloth."""
    q = sli.queries(r.slo, r.service.namespace, r.service.name)
    if isinstance(q, sli.RawQuery):
        return {"raw": {"errorRatioQuery": q.error_ratio}}
    return {"events": {"errorQuery": q.errors, "totalQuery": q.total}}


def sloth_object(org: Organisation, r: ResolvedSLO) -> dict:
    """A PrometheusServiceLevel with the SLO's alerts named and labelled as the native engine does."""
    alerting = {
        "name": slo_rules.ALERT,
        "labels": {"team": r.team.name, "service": r.service.name, "slo": r.id},
        "annotations": _annotations(r),
        "pageAlert": {"labels": _routing_labels(org, r, Severity.critical)},
        "ticketAlert": {"labels": _routing_labels(org, r, Severity.warning)},
    }
    for tier, key in ((AlertTier.page, "pageAlert"), (AlertTier.ticket, "ticketAlert")):
        if r.engine != Engine.sloth or not enabled(r.slo.alerting, tier):
            alerting[key]["disable"] = True
    slo: dict = {"name": r.slo.name, "objective": r.slo.objective}
    if r.slo.description:
        slo["description"] = r.slo.description
    slo["labels"] = dict(sorted(r.slo.labels.items()))
    slo["sli"] = sloth_sli(r)
    slo["alerting"] = alerting
    return {
        "apiVersion": SLOTH_API,
        "kind": "PrometheusServiceLevel",
        "metadata": _metadata(r),
        "spec": {"service": r.service.name, "labels": {"team": r.team.name}, "slos": [slo]},
    }


def pyrra_indicator(r: ResolvedSLO) -> dict:
    """The SLI as a Pyrra indicator; Pyrra only reads bare selectors, so each SLI kind maps to its nearest form.

    Errors over total is Pyrra's `ratio`. Good over total (and latency, freshness) is `latency`, whose math is
    (total - success) / total whatever the success counter is. A raw query has no selector form: Pyrra reads the
    good share the platform records for it (`slo:sli_good:ratio_rate<w>`) as a `bool_gauge`, whose error ratio is
    one minus its mean, the same period average Sloth computes.
    """
    if isinstance(r.slo.sli, RawSLI):
        return {"bool_gauge": {"metric": slo_rules.pyrra_bridge_metric(r)}}
    errors, good, total = sli.counters(r.slo, r.service.namespace, r.service.name)
    if errors is not None:
        return {"ratio": {"errors": {"metric": str(errors)}, "total": {"metric": str(total)}}}
    return {"latency": {"success": {"metric": str(good)}, "total": {"metric": str(total)}}}


def pyrra_object(org: Organisation, r: ResolvedSLO) -> dict:
    """A ServiceLevelObjective; its burn-rate and absent alerts only when Pyrra owns the SLO."""
    owner = r.engine == Engine.pyrra
    metadata = _metadata(r)
    # Pyrra copies `pyrra.dev/` labels onto every rule it writes and `pyrra.dev/` annotations onto its alerts.
    metadata["labels"].update({f"{PYRRA_PREFIX}team": r.team.name, f"{PYRRA_PREFIX}service": r.service.name})
    metadata["annotations"] = {f"{PYRRA_PREFIX}{k}": v for k, v in _annotations(r).items()}
    spec: dict = {"target": number(r.slo.objective), "window": str(r.slo.period)}
    if r.slo.description:
        spec["description"] = r.slo.description
    spec["indicator"] = pyrra_indicator(r)
    spec["alerting"] = {"name": slo_rules.ALERT, "burnrates": owner, "absent": owner}
    return {"apiVersion": PYRRA_API, "kind": "ServiceLevelObjective", "metadata": metadata, "spec": spec}


def sloth_objects(org: Organisation) -> tuple[dict, ...]:
    """Every SLO as a Sloth object, in catalog order."""
    return tuple(sloth_object(org, r) for r in resolved_slos(org))


def pyrra_objects(org: Organisation) -> tuple[dict, ...]:
    """Every SLO as a Pyrra object, in catalog order, except those with periods under 2d19h12m.

    Pyrra records a burn rate for each of its windows even when it does not alert, and below that period its
    shortest window rounds to 0s (pyrra-dev/pyrra#1028): the `rate(...[0s])` it would write is invalid and takes
    its whole rule group down. Those SLOs keep their native rules and Sloth object, without a Pyrra view.
    """
    return tuple(pyrra_object(org, r) for r in resolved_slos(org) if pyrra_can_window(r.slo.period))
