"""Alertmanager: an HA cluster running the rendered routing policy, its receiver credentials mounted from a Secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_kubernetes.core.v1 import ConfigMap, Secret
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

from components.common import (
    PACKAGE,
    PART_OF,
    RESTRICTED_CONTAINER,
    Chart,
    Exposure,
    child,
    ingress,
    release,
    resources,
    restricted_pod,
)
from render.systems import tls
from render.yamlio import dump
from render.systems.topology import ALERTMANAGER_PORT, ALERTMANAGER_RELEASE, ALERTMANAGER_SECRET_NAME, ALERTMANAGER_SECRETS_DIR

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
    cluster_tls: dict | None = None
    """`--cluster.tls-config` (render.systems.tls): gossip over mutual TLS with the certificate in `alertmanager-tls`."""
    web_tls: dict | None = None
    """`--web.config.file` (render.systems.tls): the API and UI over TLS with the same certificate."""
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
        depends: list[pulumi.Resource] = [self.receivers_secret]
        # One replica has no peers to gossip with; its API is served over TLS all the same.
        tls_files = {
            **({tls.CLUSTER_TLS_FILE: args.cluster_tls} if ha and args.cluster_tls is not None else {}),
            **({tls.WEB_TLS_FILE: args.web_tls} if args.web_tls is not None else {}),
        }
        if tls_files:
            # The certificate (cert-manager's Secret) and the TLS config files.
            depends.append(
                ConfigMap(
                    f"{name}-tls-config",
                    metadata=ObjectMetaArgs(name=tls.ALERTMANAGER_TLS_CONFIGMAP, namespace=args.namespace, labels={"app.kubernetes.io/part-of": PART_OF}),
                    data={file: dump(config) for file, config in sorted(tls_files.items())},
                    opts=parented,
                )
            )
            values["extraSecretMounts"].append(
                {"name": "tls", "mountPath": tls.ALERTMANAGER_TLS_DIR, "secretName": tls.ALERTMANAGER_TLS_SECRET, "readOnly": True}
            )
            values["extraVolumes"] = [{"name": "tls-config", "configMap": {"name": tls.ALERTMANAGER_TLS_CONFIGMAP}}]
            values["extraVolumeMounts"] = [{"name": "tls-config", "mountPath": tls.ALERTMANAGER_TLS_CONFIG_DIR, "readOnly": True}]
        if tls.CLUSTER_TLS_FILE in tls_files:
            values["extraArgs"]["cluster.tls-config"] = f"{tls.ALERTMANAGER_TLS_CONFIG_DIR}/{tls.CLUSTER_TLS_FILE}"
        if tls.WEB_TLS_FILE in tls_files:
            values["extraArgs"]["web.config.file"] = f"{tls.ALERTMANAGER_TLS_CONFIG_DIR}/{tls.WEB_TLS_FILE}"
            # The kubelet probes over HTTPS without verifying the certificate (the chart's probes are plain httpGet).
            probe = {"httpGet": {"path": "/", "port": "http", "scheme": "HTTPS"}}
            values["livenessProbe"] = probe
            values["readinessProbe"] = probe
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
            pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        if args.exposure:
            ingress(
                f"{name}-ingress", args.exposure, ALERTMANAGER_RELEASE, ALERTMANAGER_PORT, args.namespace,
                child(self, self.release),
            )
        self.register_outputs({"status": self.release.status})
