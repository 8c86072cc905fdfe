"""What every component shares: pinned chart references, the Helm release helper and secure defaults."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

PACKAGE = "alerting"


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
) -> Release:
    """A Helm release with repository and version pinned; `extra_values` is the escape hatch over our defaults."""
    return Release(
        resource_name,
        name=release_name,
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
