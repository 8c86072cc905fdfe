"""Thanos: long-term metrics in object storage, downsampled and queried alongside the recent data.

Receive takes VMAgent's remote write and uploads blocks; Store Gateway serves them back; Compactor downsamples
(5m and 1h) and enforces one retention per resolution; Query and Query Frontend answer over all of it. The chart
is stevehipwell/thanos, which runs the upstream quay.io images (the Bitnami one no longer has images).
"""

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
    secret_object,
)
from model.base import Duration
from render.systems.topology import THANOS_RELEASE, THANOS_REPLICA_LABEL

CHART = Chart("thanos", "https://stevehipwell.github.io/helm-charts/", "1.24.1")
OBJSTORE_SECRET = "thanos-objstore"
OBJSTORE_KEY = "objstore.yml"


@dataclass(frozen=True)
class ThanosArgs:
    """Thanos of one environment; defaults are production-sane."""

    namespace: pulumi.Input[str]
    objstore_config: pulumi.Input[str]
    """The objstore.yml (bucket and credentials): a Pulumi secret, mounted from a Kubernetes Secret."""
    retention_raw: Duration = Duration.of(days=30)
    retention_5m: Duration = Duration.of(days=180)
    retention_1h: Duration = Duration.of(days=730)
    receive_retention: Duration = Duration.of(days=2)
    """How long Receive keeps blocks locally after uploading them (recent queries are served from there)."""
    high_availability: bool = True
    storage_class: str | None = None
    receive_storage_size: str = "20Gi"
    store_storage_size: str = "10Gi"
    compact_storage_size: str = "50Gi"
    replica_labels: list[str] = field(default_factory=lambda: [THANOS_REPLICA_LABEL])
    """Labels that tell copies of one series apart; Query and Compactor deduplicate over them."""
    exposure: Exposure | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


def _secure(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"podSecurityContext": restricted_pod(), "securityContext": RESTRICTED_CONTAINER, **(extra or {})}


def _pdb(ha: bool) -> dict:
    return {"enabled": True, "maxUnavailable": 1} if ha else {"enabled": False}


def _persistence(size: str, storage_class: str | None) -> dict:
    # The chart defaults storageClass to "standard"; an empty string leaves the cluster's default class.
    return {"enabled": True, "size": size, "storageClass": storage_class or "", "accessMode": "ReadWriteOnce"}


def chart_values(args: ThanosArgs) -> dict[str, Any]:
    """The chart values: every component's replicas, storage, resources and security context explicit."""
    ha = args.high_availability
    return {
        "objstoreConfig": {"create": False, "name": OBJSTORE_SECRET, "key": OBJSTORE_KEY},
        "additionalReplicaLabels": list(args.replica_labels),
        "query": _secure(
            {
                "enabled": True,
                "replicas": replicas(ha),
                "podDisruptionBudget": _pdb(ha),
                "resources": resources("200m", "512Mi", cpu_limit="1", memory_limit="1Gi"),
            }
        ),
        "queryFrontend": _secure(
            {
                "enabled": True,
                "replicas": replicas(ha),
                "podDisruptionBudget": _pdb(ha),
                "resources": resources("100m", "256Mi", cpu_limit="500m", memory_limit="512Mi"),
            }
        ),
        "receive": {
            "enabled": True,
            # Three copies on three ingestors: a write needs two acknowledgements, so one ingestor may be down.
            "replicationFactor": 3 if ha else 1,
            "retention": str(args.receive_retention),
            "ingestor": _secure(
                {
                    "replicas": 3 if ha else 1,
                    "podDisruptionBudget": _pdb(ha),
                    "persistence": _persistence(args.receive_storage_size, args.storage_class),
                    "resources": resources("500m", "1Gi", cpu_limit="2", memory_limit="4Gi"),
                }
            ),
            "router": _secure(
                {
                    "replicas": replicas(ha),
                    "podDisruptionBudget": _pdb(ha),
                    "resources": resources("100m", "128Mi", cpu_limit="500m", memory_limit="512Mi"),
                }
            ),
        },
        "storeGateway": _secure(
            {
                "enabled": True,
                "replicas": replicas(ha),
                "podDisruptionBudget": _pdb(ha),
                "persistence": _persistence(args.store_storage_size, args.storage_class),
                "resources": resources("200m", "512Mi", cpu_limit="1", memory_limit="2Gi"),
            }
        ),
        # The Compactor must be a singleton: two would compact the same blocks. The chart hard-codes one replica.
        "compact": _secure(
            {
                "enabled": True,
                "persistence": _persistence(args.compact_storage_size, args.storage_class),
                "resources": resources("500m", "1Gi", cpu_limit="2", memory_limit="4Gi"),
                "extraArgs": [
                    f"--retention.resolution-raw={args.retention_raw}",
                    f"--retention.resolution-5m={args.retention_5m}",
                    f"--retention.resolution-1h={args.retention_1h}",
                ],
            }
        ),
        # VMAlert evaluates every rule; a second ruler would page twice.
        "rule": {"enabled": False},
    }


class Thanos(pulumi.ComponentResource):
    """Long-term storage and the query layer over it."""

    objstore: Any
    release: Any

    def __init__(self, name: str, args: ThanosArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Thanos", name, None, opts)
        self.objstore = secret_object(
            f"{name}-objstore", OBJSTORE_SECRET, args.namespace, {OBJSTORE_KEY: args.objstore_config}, child(self)
        )
        self.release = release(
            f"{name}-release", THANOS_RELEASE, CHART, args.namespace, chart_values(args), args.extra_values,
            child(self, self.objstore),
        )
        if args.exposure:
            ingress(
                f"{name}-ingress", args.exposure, f"{THANOS_RELEASE}-query-frontend", 10902, args.namespace,
                child(self, self.release),
            )
        self.register_outputs({"status": self.release.status})
