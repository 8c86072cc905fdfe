"""What every component shares: pinned chart references, the Helm release helper and secure defaults."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
from alerting_facts.names import PROJECT
from pulumi_kubernetes.core.v1 import Secret
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs
from pulumi_kubernetes.meta.v1 import ObjectMetaArgs
from pulumi_kubernetes.networking.v1 import (
    HTTPIngressPathArgs,
    HTTPIngressRuleValueArgs,
    Ingress,
    IngressBackendArgs,
    IngressRuleArgs,
    IngressServiceBackendArgs,
    IngressSpecArgs,
    IngressTLSArgs,
    ServiceBackendPortArgs,
)
from pulumi_random import RandomPassword

PACKAGE = "alerting"
PART_OF = PROJECT


@dataclass(frozen=True)
class Chart:
    """A Helm chart pinned to one version from one repository."""

    name: str
    repository: str
    version: str


def deep_merge(base: dict, override: dict) -> dict:
    """`override` wins; nested dicts merge, everything else (lists included) is replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def release(
    resource_name: str,
    release_name: str,
    chart: Chart,
    namespace: pulumi.Input[str],
    values: dict[str, Any],
    extra_values: dict[str, Any] | None,
    opts: pulumi.ResourceOptions,
    description: str | None = None,
) -> Release:
    """A Helm release with repository and version pinned; `extra_values` is the escape hatch over our defaults.

    `description` is Helm's own note on the release (`helm history` shows it).
    """
    return Release(
        resource_name,
        name=release_name,
        description=description,
        chart=chart.name,
        version=chart.version,
        repository_opts=RepositoryOptsArgs(repo=chart.repository),
        namespace=namespace,
        values=deep_merge(values, extra_values or {}),
        atomic=True,
        cleanup_on_fail=True,
        max_history=10,
        timeout=900,
        opts=opts,
    )


RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def restricted_pod(user: int = 65534) -> dict:
    """Pod security context for the `restricted` Pod Security Standard."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "fsGroup": user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(cpu: str, memory: str, cpu_limit: str | None = None, memory_limit: str | None = None) -> dict:
    """Requests with limits; memory limit defaults to the request (no overcommit of memory)."""
    return {
        "requests": {"cpu": cpu, "memory": memory},
        "limits": {"cpu": cpu_limit or cpu, "memory": memory_limit or memory},
    }


def replicas(high_availability: bool, count: int = 2) -> int:
    """Replicas of a stateless service: `count` (at least two) when the environment is highly available, else one."""
    return max(2, count) if high_availability else 1


def max_unavailable_one(high_availability: bool) -> dict:
    """A PodDisruptionBudget that lets a drain take one pod at a time; none in single-replica environments."""
    return {"maxUnavailable": 1} if high_availability else {}


def child(parent: pulumi.Resource, *depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
    """Options of a component's child: parented (it shows in the tree, inherits providers), after `depends_on`."""
    return pulumi.ResourceOptions(parent=parent, depends_on=[d for d in depends_on if d is not None] or None)


def secret_object(
    resource_name: str,
    name: str,
    namespace: pulumi.Input[str],
    data: dict[str, pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
) -> Secret:
    """A Kubernetes Secret whose every value stays a Pulumi secret (encrypted in state, redacted in previews)."""
    return Secret(
        resource_name,
        metadata=ObjectMetaArgs(name=name, namespace=namespace, labels={"app.kubernetes.io/part-of": PART_OF}),
        string_data={key: pulumi.Output.secret(value) for key, value in sorted(data.items())},
        type="Opaque",
        opts=opts,
    )


def generated_password(resource_name: str, opts: pulumi.ResourceOptions, length: int = 32) -> pulumi.Output[str]:
    """A random password kept in Pulumi state: generated once, stable across updates, always a secret."""
    password = RandomPassword(resource_name, length=length, special=False, opts=opts)
    return pulumi.Output.secret(password.result)


@dataclass(frozen=True)
class Exposure:
    """How a component publishes its UI: the host name and the Ingress settings of the environment."""

    host: str
    class_name: str = "nginx"
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://{self.host}"


def ingress(
    resource_name: str,
    exposure: Exposure,
    service: str,
    port: int,
    namespace: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> Ingress:
    """An Ingress publishing one UI at `exposure.url`, its certificate in the Secret `<service>-tls`."""
    return Ingress(
        resource_name,
        metadata=ObjectMetaArgs(
            name=service,
            namespace=namespace,
            labels={"app.kubernetes.io/part-of": PART_OF},
            annotations=dict(sorted(exposure.annotations.items())) or None,
        ),
        spec=IngressSpecArgs(
            ingress_class_name=exposure.class_name,
            tls=[IngressTLSArgs(hosts=[exposure.host], secret_name=f"{service}-tls")],
            rules=[
                IngressRuleArgs(
                    host=exposure.host,
                    http=HTTPIngressRuleValueArgs(
                        paths=[
                            HTTPIngressPathArgs(
                                path="/",
                                path_type="Prefix",
                                backend=IngressBackendArgs(
                                    service=IngressServiceBackendArgs(name=service, port=ServiceBackendPortArgs(number=port))
                                ),
                            )
                        ]
                    ),
                )
            ],
        ),
        opts=opts,
    )


def declared_objects(component: str, documents: tuple[dict, ...], opts: pulumi.ResourceOptions) -> list[pulumi.CustomResource]:
    """One resource per rendered Kubernetes object (apiVersion, kind, metadata, body), in a stable order.

    Built-in kinds become their typed resources so the engine validates them; everything else is a CustomResource.
    """
    from pulumi_kubernetes.apiextensions import CustomResource
    from pulumi_kubernetes.apps.v1 import DaemonSet, Deployment
    from pulumi_kubernetes.batch.v1 import CronJob
    from pulumi_kubernetes.core.v1 import ConfigMap, Service, ServiceAccount
    from pulumi_kubernetes.rbac.v1 import ClusterRole, ClusterRoleBinding, Role, RoleBinding

    rbac = "rbac.authorization.k8s.io/v1"
    typed = {("v1", "ServiceAccount"): ServiceAccount, ("v1", "Service"): Service, (rbac, "Role"): Role,
             (rbac, "RoleBinding"): RoleBinding, (rbac, "ClusterRole"): ClusterRole,
             (rbac, "ClusterRoleBinding"): ClusterRoleBinding, ("apps/v1", "Deployment"): Deployment,
             ("apps/v1", "DaemonSet"): DaemonSet, ("v1", "ConfigMap"): ConfigMap, ("batch/v1", "CronJob"): CronJob}
    by_key: dict[str, dict] = {}
    for doc in documents:
        meta = doc["metadata"]
        key = re.sub(r"[^a-z0-9-]+", "-", f"{doc['kind']}-{meta.get('namespace', 'default')}-{meta['name']}".lower())
        if key in by_key:
            raise ValueError(f"two {doc['kind']} objects named {meta['name']!r} in namespace {meta.get('namespace')!r}")
        by_key[key] = doc
    resources_ = []
    for key, doc in sorted(by_key.items()):
        body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
        cls = typed.get((doc["apiVersion"], doc["kind"]))
        if cls is not None:
            # Typed resources take their top-level fields as snake_case keyword arguments (roleRef -> role_ref).
            kwargs = {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): v for k, v in body.items()}
            resources_.append(cls(f"{component}-{key}", metadata=doc["metadata"], **kwargs, opts=opts))
        else:
            resources_.append(
                CustomResource(f"{component}-{key}", api_version=doc["apiVersion"], kind=doc["kind"],
                               metadata=doc["metadata"], **body, opts=opts)
            )
    return resources_


SHARED_GROUP = "shared"
"""The group of objects no one team owns."""


def documents(texts: list[str]) -> str:
    """YAML documents, each already dumped, as one multi-document stream."""
    return "".join(("---\n" if i else "") + text for i, text in enumerate(texts))


def object_groups(
    component: str, groups: dict[str, pulumi.Input[str]], prefix: str, opts: pulumi.ResourceOptions
) -> list[pulumi.ComponentResource]:
    """One `kubernetes:yaml/v2:ConfigGroup` per group (a team's objects), holding its documents as one YAML stream.

    Thousands of SLO objects as one resource each would cost the Python program seconds per thousand on every
    preview; as a few ConfigGroups, the provider (Go) parses and registers them. Each child is named
    `<prefix>:<namespace>/<name>` (pulumi-kubernetes provider/pkg/provider/yaml/v2/yaml.go): `prefix` is the same
    for every group of a component, so an object keeps its URN when it moves from one group to another.
    """
    from pulumi_kubernetes.yaml.v2 import ConfigGroup

    return [
        ConfigGroup(f"{component}-{group}", yaml=text, resource_prefix=prefix, opts=opts)
        for group, text in sorted(groups.items())
    ]


def grouped_by_team(objects: tuple[dict, ...] | list[dict]) -> dict[str, str]:
    """Rendered objects as one YAML stream per team label, in name order; two with one name are refused."""
    from render.resources.slo import TEAM_LABEL
    from render.yamlio import dump

    seen: set[tuple[str, str, str]] = set()
    groups: dict[str, list[str]] = {}
    for obj in sorted(objects, key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"])):
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace") or "", meta["name"])
        if key in seen:
            raise ValueError(f"two {obj['kind']} objects named {meta['name']!r} in namespace {meta.get('namespace')!r}")
        seen.add(key)
        team = (meta.get("labels") or {}).get(TEAM_LABEL) or SHARED_GROUP
        groups.setdefault(team, []).append(dump(obj))
    return {team: documents(texts) for team, texts in groups.items()}
