"""Karma: one dashboard over every Alertmanager replica of the environment (it deduplicates the HA peers)."""

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
    ingress,
    release,
    replicas,
    resources,
    restricted_pod,
)
from render.systems.topology import KARMA_RELEASE

CHART = Chart("karma", "https://wiremind.github.io/wiremind-helm-charts", "2.13.1")
SERVICE_PORT = 80


@dataclass(frozen=True)
class KarmaArgs:
    namespace: pulumi.Input[str]
    config: dict
    """The rendered karma.yaml (render.systems.karma): its `alertmanager.servers` name every replica."""
    acls: dict | None = None
    """The silence ACL file karma.yaml names (render.systems.access); the chart mounts it beside karma.conf."""
    ca_volume: tuple[dict, dict] | None = None
    """(volume, volumeMount) of the CA its `alertmanager.servers[].tls.ca` names, where Alertmanager serves TLS."""
    high_availability: bool = True
    exposure: Exposure | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Karma(pulumi.ComponentResource):
    """Stateless, so it runs as many replicas as the environment's availability asks for."""

    release: Any

    def __init__(self, name: str, args: KarmaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Karma", name, None, opts)
        values = {
            "replicaCount": replicas(args.high_availability),
            "configMap": {"enabled": True, "rawConfig": args.config, **({"aclsConfig": args.acls} if args.acls else {})},
            "service": {"type": "ClusterIP", "port": SERVICE_PORT},
            "securityContext": restricted_pod(),
            "containerSecurityContext": RESTRICTED_CONTAINER,
            "resources": resources("50m", "64Mi", cpu_limit="500m", memory_limit="256Mi"),
        }
        if args.ca_volume:
            values["extraVolumes"], values["extraVolumeMounts"] = [args.ca_volume[0]], [args.ca_volume[1]]
        self.release = release(
            f"{name}-release", KARMA_RELEASE, CHART, args.namespace, values, args.extra_values, child(self)
        )
        if args.exposure:
            ingress(f"{name}-ingress", args.exposure, KARMA_RELEASE, SERVICE_PORT, args.namespace, child(self, self.release))
        self.register_outputs({"status": self.release.status})
