"""Sloth: the controller that turns PrometheusServiceLevel objects into PrometheusRules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    grouped_by_team,
    object_groups,
    release,
    resources,
    restricted_pod,
)
from render.resources.slo import SLOTH_LABEL_SELECTOR

CHART = Chart("sloth", "https://slok.github.io/sloth", "0.16.0")


@dataclass(frozen=True)
class SlothArgs:
    namespace: pulumi.Input[str]
    slos: tuple[dict, ...] = ()
    """Rendered PrometheusServiceLevel objects (sloth.slok.dev/v1)."""
    extra_labels: dict[str, str] = field(default_factory=dict)
    """Added to every rule Sloth generates (e.g. the cluster)."""
    label_selector: str = SLOTH_LABEL_SELECTOR
    """Only SLO objects Sloth owns: the others exist for Sloth-style dashboards but alert through another engine."""
    default_slo_period: str = "30d"
    """The period the controller computes windows for (the catalog's `slo_defaults.sloth_period`)."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What must exist first: the monitoring.coreos.com CRDs (Sloth writes PrometheusRules, its chart a PodMonitor)."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Sloth(pulumi.ComponentResource):
    """One pod: the chart hard-codes a single replica (the controller has no leader election)."""

    release: Any
    slos: list

    def __init__(self, name: str, args: SlothArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Sloth", name, None, opts)
        values = {
            "sloth": {
                "extraLabels": dict(sorted(args.extra_labels.items())),
                "labelSelector": args.label_selector,
                "defaultSloPeriod": args.default_slo_period,
            },
            # The common-plugins sidecar git-syncs from GitHub at run time; SLIs here are plain queries.
            "commonPlugins": {"enabled": False},
            "metrics": {"enabled": True},
            "securityContext": {"pod": restricted_pod(), "container": RESTRICTED_CONTAINER},
            "resources": resources("20m", "64Mi", cpu_limit="200m", memory_limit="256Mi"),
        }
        # The chart installs the PrometheusServiceLevel CRD from its crds/ directory.
        self.release = release(
            f"{name}-release", "sloth", CHART, args.namespace, values, args.extra_values, child(self, *args.depends_on)
        )
        # One ConfigGroup per team: thousands of SLOs stay a handful of resources for the program.
        self.slos = object_groups(f"{name}-slos", grouped_by_team(args.slos), f"{name}-slo", child(self, self.release))
        self.register_outputs({"status": self.release.status, "slos": len(args.slos)})
