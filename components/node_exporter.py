"""node-exporter: each node's CPU, memory, disk and network counters, which the infrastructure performance budgets
read. A DaemonSet on every node, scraped through the chart's ServiceMonitor (the VictoriaMetrics operator turns it
into a VMServiceScrape that VMAgent reads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import PACKAGE, Chart, child, release, resources

CHART = Chart("prometheus-node-exporter", "https://prometheus-community.github.io/helm-charts", "4.56.1")
RELEASE = "node-exporter"


@dataclass(frozen=True)
class NodeExporterArgs:
    namespace: pulumi.Input[str]
    """A namespace whose Pod Security level admits host namespaces and host paths (node-exporter reads /proc, /sys)."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What serves the ServiceMonitor kind (the prometheus-operator CRDs)."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class NodeExporter(pulumi.ComponentResource):
    release: Any

    def __init__(self, name: str, args: NodeExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:NodeExporter", name, None, opts)
        values = {
            # The chart's defaults keep it unprivileged: non-root, read-only root filesystem, no capabilities added;
            # it needs the host's network and process namespaces and read-only host paths, nothing more.
            "containerSecurityContext": {
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": resources("50m", "64Mi", cpu_limit="250m", memory_limit="128Mi"),
            "prometheus": {"monitor": {"enabled": True}},
            # Every node, control-plane and tainted ones included: an infrastructure budget covers them all.
            "tolerations": [{"operator": "Exists"}],
        }
        self.release = release(
            f"{name}-release", RELEASE, CHART, args.namespace, values, args.extra_values, child(self, *args.depends_on)
        )
        self.register_outputs({"status": self.release.status})
