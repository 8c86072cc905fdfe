"""Litmus (core): the chaos operator and its CRDs (ChaosEngine, ChaosExperiment, ChaosResult), no ChaosCenter.

litmus-core instead of the full `litmus` chart: the ChaosCenter needs MongoDB from frozen bitnamilegacy images,
and experiments here are declared as custom resources anyway. The chaos exporter publishes experiment results
as metrics, which VMAgent scrapes for chaos alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import PACKAGE, Chart, child, declared_objects, release, replicas, resources

CHART = Chart("litmus-core", "https://litmuschaos.github.io/litmus-helm/", "3.29.0")


@dataclass(frozen=True)
class LitmusArgs:
    namespace: pulumi.Input[str]
    high_availability: bool = True
    experiments: tuple[dict, ...] = ()
    """Rendered Litmus objects in the target namespaces (runner access, ChaosExperiment, ChaosEngine)."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Litmus(pulumi.ComponentResource):
    """The chaos operator runs with leader election, so it can run two replicas.

    The chart exposes no security-context values; the operator therefore lives in its own namespace whose Pod
    Security level is set by the Platform, rather than in `monitoring`.
    """

    release: Any
    experiments: list

    def __init__(self, name: str, args: LitmusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Litmus", name, None, opts)
        values = {
            "replicaCount": replicas(args.high_availability),
            "operatorMode": "standard",
            "resources": resources("100m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
            "exporter": {"enabled": True, "resources": resources("50m", "64Mi", cpu_limit="200m", memory_limit="128Mi")},
            # No usage analytics from the operator.
            "policies": {"monitoring": {"disabled": True}},
        }
        self.release = release(f"{name}-release", "litmus", CHART, args.namespace, values, args.extra_values, child(self))
        # The release installs the ChaosEngine/ChaosExperiment CRDs; experiments start once the operator is up.
        self.experiments = declared_objects(name, args.experiments, child(self, self.release))
        self.register_outputs({"status": self.release.status, "experiments": len(self.experiments)})
