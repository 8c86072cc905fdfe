"""Objects the program does not create yet but the policies judge: SLO objects, chaos engines, native SLO rules.

Each is registered the way the program would register it (the Sloth and Pyrra components, a CustomResource for
the rest) so the pack receives it exactly as from the program. Every document here is a valid object of its
CRD (test_policy_violations holds them to the CRDs the vendored charts install).
"""

from __future__ import annotations

import copy

from pulumi_kubernetes.apiextensions import CustomResource

from components.pyrra import Pyrra, PyrraArgs
from components.sloth import Sloth, SlothArgs

RUNBOOK = "https://runbooks.example.com/services/checkout"
APPROVAL = "chaos.alerting-platform.io/approved"
APPROVER = "chaos.alerting-platform.io/approved-by"

SLOTH_SLO = {
    "apiVersion": "sloth.slok.dev/v1",
    "kind": "PrometheusServiceLevel",
    "metadata": {"name": "checkout", "namespace": "monitoring"},
    "spec": {
        "service": "checkout",
        "labels": {"team": "payments", "service": "checkout"},
        "slos": [
            {
                "name": "requests-availability",
                "objective": 99.9,
                "description": "Checkout answers without server errors.",
                "sli": {
                    "events": {
                        "errorQuery": 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))',
                        "totalQuery": 'sum(rate(http_requests_total{service="checkout"}[{{.window}}]))',
                    }
                },
                "alerting": {
                    "name": "CheckoutAvailabilityBudgetBurn",
                    "labels": {"team": "payments", "service": "checkout"},
                    "annotations": {"runbook_url": RUNBOOK},
                    "pageAlert": {"labels": {"severity": "critical", "priority": "P0"}},
                    "ticketAlert": {"labels": {"severity": "warning", "priority": "P2"}},
                },
            }
        ],
    },
}

PYRRA_SLO = {
    "apiVersion": "pyrra.dev/v1alpha1",
    "kind": "ServiceLevelObjective",
    "metadata": {
        "name": "checkout-availability",
        "namespace": "monitoring",
        "labels": {"pyrra.dev/team": "payments", "pyrra.dev/service": "checkout"},
        "annotations": {"pyrra.dev/runbook_url": RUNBOOK},
    },
    "spec": {
        "target": "99.9",
        "window": "28d",
        "description": "Checkout answers without server errors.",
        "indicator": {
            "ratio": {
                "errors": {"metric": 'http_requests_total{service="checkout",code=~"5.."}'},
                "total": {"metric": 'http_requests_total{service="checkout"}'},
            }
        },
    },
}

CHAOS_ENGINE = {
    "apiVersion": "litmuschaos.io/v1alpha1",
    "kind": "ChaosEngine",
    "metadata": {
        "name": "checkout-pod-delete",
        "namespace": "payments",
        "labels": {APPROVAL: "true"},
        "annotations": {APPROVER: "dara@example.com"},
    },
    "spec": {
        "engineState": "active",
        "chaosServiceAccount": "pod-delete-sa",
        "appinfo": {"appns": "payments", "applabel": "app=checkout", "appkind": "deployment"},
        "experiments": [
            {
                "name": "pod-delete",
                "spec": {
                    "components": {
                        "env": [
                            {"name": "TOTAL_CHAOS_DURATION", "value": "60"},
                            {"name": "CHAOS_INTERVAL", "value": "10"},
                            {"name": "PODS_AFFECTED_PERC", "value": "25"},
                        ]
                    }
                },
            }
        ],
    },
}

_IDS = 'sloth_id="checkout-availability", sloth_service="checkout", sloth_slo="availability"'


def _pair(short: str, long: str, factor: float, series: str = "slo:sli_error:ratio_rate") -> str:
    return (
        f"(max({series}{short}{{{_IDS}}} > ({factor} * 0.001)) without (sloth_window)\n"
        f" and max({series}{long}{{{_IDS}}} > ({factor} * 0.001)) without (sloth_window))"
    )


def native_slo_rules(period_days: int = 30, page: tuple = (("5m", "1h", 14.4), ("30m", "6h", 6)),
                     budget: bool = False, interval: str | None = None) -> dict:
    """Multi-window multi-burn-rate rules with Sloth's recording names, as the platform's own generator writes them;
    with `budget`, budget burn in the cascaded form: windows summed from recorded one-minute rates in a group
    evaluated every `interval`."""
    labels = {"sloth_id": "checkout-availability", "sloth_service": "checkout", "sloth_slo": "availability"}
    series = "slo:sli_error:budget_ratio_rate" if budget else "slo:sli_error:ratio_rate"
    burn_group: dict = {"name": "sloth-slo-alerts-checkout-availability"}
    if budget:
        if interval:
            burn_group["interval"] = interval
        windows = sorted({w for p in page for w in p[:2]}, key=lambda w: (w[-1] != "m", len(w), w))
        burn_group["rules"] = [
            {"record": "slo:sli_errors:rate1m", "expr": 'sum(rate(checkout_requests_total{code="500"}[1m]))', "labels": labels},
            {"record": "slo:sli_events:rate1m", "expr": "sum(rate(checkout_requests_total[1m]))", "labels": labels},
            {"record": f"slo:sli_events:rate{period_days}d", "expr": f"avg_over_time(slo:sli_events:rate1m{{{_IDS}}}[{period_days}d])", "labels": labels},
        ] + [
            {"record": f"{series}{w}", "labels": {**labels, "sloth_window": w},
             "expr": f"avg_over_time(slo:sli_errors:rate1m{{{_IDS}}}[{w}])\n/ on()\nslo:sli_events:rate{period_days}d{{{_IDS}}}"}
            for w in windows
        ]
    else:
        burn_group["rules"] = []
    burn_group["rules"].append(
        {
            "alert": "CheckoutAvailabilityBudgetBurn",
            "expr": "\nor\n".join(_pair(*p, series=series) for p in page),
            "labels": {"team": "payments", "service": "checkout", "severity": "critical", "priority": "P0"},
            "annotations": {"summary": "Checkout burns its error budget fast.", "runbook_url": RUNBOOK},
        }
    )
    return {
        "groups": [
            {
                "name": "sloth-slo-meta-recordings-checkout-availability",
                "rules": [
                    {"record": "slo:objective:ratio", "expr": "vector(0.999)", "labels": labels},
                    {"record": "slo:time_period:days", "expr": f"vector({period_days})", "labels": labels},
                ],
            },
            burn_group,
        ]
    }


def sloth(doc: dict | None = None, values: dict | None = None) -> None:
    """The Sloth component with one SLO object (and chart values over the component's)."""
    Sloth("alerting-sloth", SlothArgs(namespace="monitoring", slos=(doc or SLOTH_SLO,), extra_values=values or {}))


def pyrra(doc: dict | None = None) -> None:
    Pyrra("alerting-pyrra", PyrraArgs(namespace="monitoring", metrics_url="http://vmsingle-platform.monitoring.svc:8428",
                                      slos=(doc or PYRRA_SLO,)))


def custom(doc: dict, name: str = "extra") -> None:
    """One object the way the program creates custom resources."""
    CustomResource(name, api_version=doc["apiVersion"], kind=doc["kind"], metadata=doc["metadata"], spec=doc["spec"])


def vmrule(spec: dict, name: str = "checkout-slo") -> dict:
    return {
        "apiVersion": "operator.victoriametrics.com/v1beta1",
        "kind": "VMRule",
        "metadata": {"name": name, "namespace": "monitoring"},
        "spec": spec,
    }


def edited(doc: dict, change) -> dict:
    """A copy of `doc` changed by `change` (which edits in place)."""
    out = copy.deepcopy(doc)
    change(out)
    return out

