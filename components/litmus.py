"""Litmus (core): the chaos operator and its CRDs (ChaosEngine, ChaosExperiment, ChaosResult), no ChaosCenter, and
the chaos exporter, whose metrics every chaos alert reads.

litmus-core instead of the full `litmus` chart: the ChaosCenter needs MongoDB from frozen bitnamilegacy images,
and experiments here are declared as custom resources anyway. The chart's own exporter is left off: its Service
and its pods carry the operator's labels, so the Service selects the operator's pods too, and it runs with the
operator's account, which may read Secrets. The exporter here has its own labels, a read-only account, and a
VMPodScrape, so VMAgent scrapes it and only it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import (
    PACKAGE,
    PART_OF,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    declared_objects,
    release,
    replicas,
    resources,
    restricted_pod,
)
from render.resources.chaos import LITMUS_VERSION

CHART = Chart("litmus-core", "https://litmuschaos.github.io/litmus-helm/", "3.28.1")
EXPORTER = "chaos-exporter"
EXPORTER_IMAGE = f"docker.io/litmuschaos/chaos-exporter:{LITMUS_VERSION}"
EXPORTER_PORT = 8080
EXPORTER_LABELS = {"app.kubernetes.io/name": EXPORTER, "app.kubernetes.io/part-of": PART_OF}


@dataclass(frozen=True)
class LitmusArgs:
    namespace: str
    high_availability: bool = True
    experiments: tuple[dict, ...] = ()
    """Rendered chaos objects in the target namespaces (runner and scheduler access, ChaosExperiment, ChaosEngine, and
    the engine templates and CronJobs of scheduled experiments)."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What serves the VMPodScrape kind (the VictoriaMetrics operator's CRDs)."""
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


def exporter_objects(namespace: str) -> tuple[dict, ...]:
    """The chaos exporter: a read-only account over chaos results, its pods, and the scrape that reads them."""
    meta = {"name": EXPORTER, "namespace": namespace, "labels": EXPORTER_LABELS}
    reads = ["get", "list", "watch"]
    pod = {
        "metadata": {"labels": EXPORTER_LABELS},
        "spec": {
            "serviceAccountName": EXPORTER,
            "securityContext": restricted_pod(),
            "containers": [
                {
                    "name": EXPORTER,
                    "image": EXPORTER_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    # Empty: every namespace's results, as each team runs its experiments in its own.
                    "env": [{"name": "WATCH_NAMESPACE", "value": ""}],
                    "ports": [{"name": "http", "containerPort": EXPORTER_PORT, "protocol": "TCP"}],
                    "securityContext": RESTRICTED_CONTAINER,
                    "resources": resources("50m", "64Mi", cpu_limit="200m", memory_limit="128Mi"),
                }
            ],
        },
    }
    return (
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": EXPORTER, "labels": EXPORTER_LABELS},
            "rules": [
                {"apiGroups": ["litmuschaos.io"], "resources": ["chaosengines", "chaosresults"], "verbs": reads},
                {"apiGroups": [""], "resources": ["events"], "verbs": reads},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": EXPORTER, "labels": EXPORTER_LABELS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": EXPORTER},
            "subjects": [{"kind": "ServiceAccount", "name": EXPORTER, "namespace": namespace}],
        },
        {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            # One exporter: two would publish every result twice.
            "spec": {"replicas": 1, "selector": {"matchLabels": EXPORTER_LABELS}, "template": pod},
        },
        {
            "apiVersion": "operator.victoriametrics.com/v1beta1", "kind": "VMPodScrape", "metadata": meta,
            "spec": {"selector": {"matchLabels": EXPORTER_LABELS}, "podMetricsEndpoints": [{"port": "http", "path": "/metrics"}]},
        },
    )


class Litmus(pulumi.ComponentResource):
    """The chaos operator runs with leader election, so it can run two replicas.

    The chart exposes no security-context values; the operator therefore lives in its own namespace whose Pod
    Security level is set by the Platform, rather than in `monitoring`.
    """

    release: Any
    experiments: list
    exporter: list

    def __init__(self, name: str, args: LitmusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Litmus", name, None, opts)
        values = {
            "replicaCount": replicas(args.high_availability),
            "operatorMode": "standard",
            "resources": resources("100m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
            "exporter": {"enabled": False},
            # No usage analytics from the operator.
            "policies": {"monitoring": {"disabled": True}},
        }
        self.release = release(f"{name}-release", "litmus", CHART, args.namespace, values, args.extra_values, child(self))
        self.exporter = declared_objects(f"{name}-exporter", exporter_objects(args.namespace), child(self, *args.depends_on))
        # The release installs the ChaosEngine/ChaosExperiment CRDs; experiments start once the operator is up.
        self.experiments = declared_objects(name, args.experiments, child(self, self.release))
        self.register_outputs({"status": self.release.status, "experiments": len(self.experiments)})
