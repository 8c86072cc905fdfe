"""Goldpinger: every node's pod pings every other and publishes the round trips, the histogram the infrastructure
budgets' network-latency limit reads. A DaemonSet, scraped through the chart's ServiceMonitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import PACKAGE, PART_OF, RESTRICTED_CONTAINER, Chart, child, release, resources, restricted_pod

CHART = Chart("goldpinger", "https://bloomberg.github.io/goldpinger", "1.0.1")
RELEASE = "goldpinger"


@dataclass(frozen=True)
class GoldpingerArgs:
    namespace: pulumi.Input[str]
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What serves the ServiceMonitor kind (the prometheus-operator CRDs)."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Goldpinger(pulumi.ComponentResource):
    release: Any

    def __init__(self, name: str, args: GoldpingerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Goldpinger", name, None, opts)
        values = {
            "podSecurityContext": restricted_pod(),
            "containerSecurityContext": RESTRICTED_CONTAINER,
            "resources": resources("20m", "32Mi", cpu_limit="200m", memory_limit="64Mi"),
            # The chart's default selector label names a kube-prometheus instance; VMAgent selects every scrape.
            "serviceMonitor": {"enabled": True, "selector": {"app.kubernetes.io/part-of": PART_OF}},
            "tolerations": [{"operator": "Exists"}],
        }
        self.release = release(
            f"{name}-release", RELEASE, CHART, args.namespace, values, args.extra_values, child(self, *args.depends_on)
        )
        self.register_outputs({"status": self.release.status})
