"""The OpenTelemetry Collector: applications push OTLP here; metrics continue to VictoriaMetrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    release,
    replicas,
    restricted_pod,
)

CHART = Chart("opentelemetry-collector", "https://open-telemetry.github.io/opentelemetry-helm-charts", "0.170.0")
# The contrib distribution carries the prometheusremotewrite exporter.
IMAGE = {"repository": "otel/opentelemetry-collector-contrib"}
COMMAND = {"name": "otelcol-contrib"}
UNUSED_PORTS = ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")


@dataclass(frozen=True)
class OtelCollectorArgs:
    namespace: pulumi.Input[str]
    config: dict
    """The complete collector config (render.systems.otel.collector_config)."""
    high_availability: bool = True
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class OtelCollector(pulumi.ComponentResource):
    release: Any

    def __init__(self, name: str, args: OtelCollectorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:OtelCollector", name, None, opts)
        values = {
            "mode": "deployment",
            "image": IMAGE,
            "command": COMMAND,
            "replicaCount": replicas(args.high_availability),
            "podDisruptionBudget": {"enabled": args.high_availability, **({"maxUnavailable": 1} if args.high_availability else {})},
            "alternateConfig": args.config,
            "ports": {port: {"enabled": False} for port in UNUSED_PORTS},
            "useGOMEMLIMIT": True,
            "podSecurityContext": restricted_pod(),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": {
                "requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"},
            },
        }
        self.release = release(
            f"{name}-release", "otel-collector", CHART, args.namespace, values, args.extra_values, child(self)
        )
        self.register_outputs({"status": self.release.status})
