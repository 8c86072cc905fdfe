"""Pyrra: SLO pages and error-budget views from ServiceLevelObjective objects; it writes PrometheusRules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    Exposure,
    child,
    grouped_by_team,
    ingress,
    object_groups,
    release,
    resources,
    restricted_pod,
)
from render.systems.topology import PYRRA_RELEASE

CHART = Chart("pyrra", "https://pyrra-dev.github.io/helm-charts", "1.11.0")
SERVICE_PORT = 9099


@dataclass(frozen=True)
class PyrraArgs:
    namespace: pulumi.Input[str]
    metrics_url: str
    """The Prometheus-compatible API Pyrra queries (VictoriaMetrics)."""
    slos: tuple[dict, ...] = ()
    """Rendered ServiceLevelObjective objects (pyrra.dev/v1alpha1)."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What must exist first: the PrometheusRule CRD Pyrra writes into."""
    exposure: Exposure | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Pyrra(pulumi.ComponentResource):
    """A single pod (the chart has no replicas key; operator and API are two containers of one Deployment)."""

    release: Any
    slos: list

    def __init__(self, name: str, args: PyrraArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Pyrra", name, None, opts)
        values = {
            "prometheusUrl": args.metrics_url,
            # Needs cert-manager; the CRD schema already validates SLOs on admission.
            "validatingWebhookConfiguration": {"enabled": False},
            "genericRules": {"enabled": False},
            "podSecurityContext": restricted_pod(),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": resources("50m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
            "operator": {"resources": resources("50m", "128Mi", cpu_limit="500m", memory_limit="256Mi")},
        }
        # The chart installs the ServiceLevelObjective CRD from its crds/ directory.
        self.release = release(
            f"{name}-release", PYRRA_RELEASE, CHART, args.namespace, values, args.extra_values,
            child(self, *args.depends_on),
        )
        # One ConfigGroup per team: thousands of SLOs stay a handful of resources for the program.
        self.slos = object_groups(f"{name}-slos", grouped_by_team(args.slos), f"{name}-slo", child(self, self.release))
        if args.exposure:
            ingress(f"{name}-ingress", args.exposure, PYRRA_RELEASE, SERVICE_PORT, args.namespace, child(self, self.release))
        self.register_outputs({"status": self.release.status, "slos": len(args.slos)})
