"""Alertmanager: an HA cluster running the rendered routing policy, its receiver credentials mounted from a Secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_kubernetes.core.v1 import Secret
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    Exposure,
    child,
    ingress,
    release,
    resources,
    restricted_pod,
)
from render.topology import (
    ALERTMANAGER_PORT,
    ALERTMANAGER_RELEASE,
    ALERTMANAGER_SECRET_NAME,
    ALERTMANAGER_SECRETS_DIR,
)

CHART = Chart("alertmanager", "https://prometheus-community.github.io/helm-charts", "1.42.0")
MAINTENANCE_INTERVAL = "1m"


@dataclass(frozen=True)
class AlertmanagerArgs:
    """Alertmanager cluster settings; defaults are production-sane."""

    namespace: pulumi.Input[str]
    config: dict
    """The rendered alertmanager.yml."""
    templates: dict[str, str] = field(default_factory=dict)
    """Notification templates, by file name, placed beside the config."""
    secrets: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Receiver credentials by secret name; the config reads each from a file of that name."""
    replicas: int = 3
    retention: str = "120h"
    storage_size: str = "1Gi"
    storage_class: str | None = None
    exposure: Exposure | None = None
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


class Alertmanager(pulumi.ComponentResource):
    """The Alertmanager cluster: every replica gets every alert and they gossip so each notification goes out once."""

    receivers_secret: Secret
    release: Any

    def __init__(self, name: str, args: AlertmanagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Alertmanager", name, None, opts)
        parented = pulumi.ResourceOptions(parent=self)

        self.receivers_secret = Secret(
            f"{name}-receivers",
            metadata=ObjectMetaArgs(name=ALERTMANAGER_SECRET_NAME, namespace=args.namespace),
            string_data={key: pulumi.Output.secret(value) for key, value in sorted(args.secrets.items())},
            type="Opaque",
            opts=parented,
        )
        ha = args.replicas > 1
        persistence: dict[str, Any] = {"enabled": True, "size": args.storage_size}
        if args.storage_class:
            persistence["storageClass"] = args.storage_class
        values: dict[str, Any] = {
            "replicaCount": args.replicas,
            "config": args.config,
            "templates": dict(sorted(args.templates.items())),
            "extraSecretMounts": [
                {
                    "name": "receivers",
                    "mountPath": ALERTMANAGER_SECRETS_DIR,
                    "secretName": ALERTMANAGER_SECRET_NAME,
                    "readOnly": True,
                }
            ],
            # Silences and the notification log are snapshotted to the PersistentVolume this often (default 15m) and
            # at shutdown: when every replica dies at once, at most a minute of them is lost.
            "extraArgs": {"data.retention": args.retention, "data.maintenance-interval": MAINTENANCE_INTERVAL},
            "persistence": persistence,
            "podSecurityContext": restricted_pod(),
            "securityContext": RESTRICTED_CONTAINER,
            "resources": resources("50m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
        }
        if ha:
            values["podAntiAffinity"] = "hard"
            values["podAntiAffinityTopologyKey"] = "kubernetes.io/hostname"
            values["podDisruptionBudget"] = {"maxUnavailable": 1}
        self.release = release(
            f"{name}-release",
            ALERTMANAGER_RELEASE,
            CHART,
            args.namespace,
            values,
            args.extra_values,
            pulumi.ResourceOptions(parent=self, depends_on=[self.receivers_secret]),
        )
        if args.exposure:
            ingress(
                f"{name}-ingress", args.exposure, ALERTMANAGER_RELEASE, ALERTMANAGER_PORT, args.namespace,
                child(self, self.release),
            )
        self.register_outputs({"status": self.release.status})
