"""cert-manager: issues and renews the platform's certificates (render.systems.tls), and its trust-manager, which hands the
platform's CA to the clients that need it beside the public CAs; both pinned and vendored like every chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.common import (
    PACKAGE,
    RESTRICTED_CONTAINER,
    Chart,
    child,
    declared_objects,
    release,
    replicas,
    resources,
    restricted_pod,
)
from render.systems.tls import CERT_MANAGER_NAMESPACE, CERT_MANAGER_RELEASE, TRUST_MANAGER_RELEASE

CHART = Chart("cert-manager", "https://charts.jetstack.io", "v1.21.1")
TRUST_MANAGER_CHART = Chart("trust-manager", "https://charts.jetstack.io", "v0.24.0")
TRUST_PACKAGE_TAG = "20250419.1"
"""The default CA package image (trust-pkg-debian-trixie) trust-manager v0.24.0 is released with: its release pipeline
writes this tag into the packaged chart (make/00_mod.mk, DEBIAN_TRIXIE_BUNDLE_VERSION in make/00_debian_trixie_version.mk);
the tagged source tree the chart is vendored from says v0.0.0."""


@dataclass(frozen=True)
class CertManagerArgs:
    namespace: pulumi.Input[str]
    objects: tuple[dict, ...] = ()
    """Issuers and Certificates (render.systems.tls), created once the release has installed their CRDs."""
    trust_objects: tuple[dict, ...] = ()
    """trust-manager Bundles (render.systems.tls.trust_bundle), created once trust-manager has installed their CRD."""
    high_availability: bool = True
    extra_values: dict[str, Any] = field(default_factory=dict)
    """Escape hatch: raw chart values merged over ours."""


CRD_VALUES = {"crds": {"enabled": True, "keep": True}}
"""The chart installs cert-manager's CRDs (off by default) and keeps them when the release goes."""


def values(high_availability: bool) -> dict:
    ha = high_availability
    pdb = {"enabled": True, "maxUnavailable": 1} if ha else {"enabled": False}
    part = lambda cpu, memory: {  # noqa: E731
        "securityContext": restricted_pod(),
        "containerSecurityContext": RESTRICTED_CONTAINER,
        "resources": resources(cpu, memory, cpu_limit="500m", memory_limit=memory),
    }
    return {
        **CRD_VALUES,
        # Leader election in its own namespace rather than the chart's default, kube-system.
        "global": {"leaderElection": {"namespace": CERT_MANAGER_NAMESPACE}},
        "replicaCount": replicas(ha),
        "podDisruptionBudget": pdb,
        **part("20m", "128Mi"),
        "webhook": {"replicaCount": replicas(ha), "podDisruptionBudget": pdb, **part("10m", "64Mi")},
        "cainjector": {"enabled": True, "replicaCount": replicas(ha), "podDisruptionBudget": pdb, **part("10m", "128Mi")},
        "startupapicheck": {"enabled": True, **part("10m", "64Mi")},
    }


def trust_manager_values(high_availability: bool) -> dict:
    ha = high_availability
    return {
        "crds": {"enabled": True, "keep": True},
        "replicaCount": replicas(ha),
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1} if ha else {"enabled": False},
        "defaultPackageImage": {"tag": TRUST_PACKAGE_TAG},
        "podSecurityContext": restricted_pod(),
        "resources": resources("10m", "64Mi", cpu_limit="500m", memory_limit="256Mi"),
        "app": {"securityContext": RESTRICTED_CONTAINER},
        "defaultPackage": {"securityContext": RESTRICTED_CONTAINER,
                           "resources": resources("10m", "32Mi", cpu_limit="100m", memory_limit="64Mi")},
    }


class CertManager(pulumi.ComponentResource):
    """cert-manager's controller, webhook and CA injector, then the platform's issuers and certificates."""

    release: Any

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:CertManager", name, None, opts)
        self.release = release(
            f"{name}-release", CERT_MANAGER_RELEASE, CHART, args.namespace, values(args.high_availability),
            args.extra_values, child(self),
        )
        self.objects = declared_objects(name, args.objects, child(self, self.release)) if args.objects else []
        self.trust_manager = None
        if args.trust_objects:
            # Its webhook's certificate is a cert-manager Certificate: cert-manager first.
            self.trust_manager = release(
                f"{name}-trust-manager", TRUST_MANAGER_RELEASE, TRUST_MANAGER_CHART, args.namespace,
                trust_manager_values(args.high_availability), None, child(self, self.release),
            )
            self.objects += declared_objects(f"{name}-trust", args.trust_objects, child(self, self.trust_manager, *self.objects))
        self.register_outputs({"status": self.release.status})
