"""Every pod the stack runs, wherever its settings live: a chart's values, a workload object, an operator's resource.

The hygiene policies judge containers. Their `resources` and `securityContext` sit somewhere different for each
source, so this module turns a resource into `Pod`s — the pod security context, and each container's resources
and security context with the place they are written — and the policies judge those alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import charts
from .values import KubeObject, Release, containers, dig, dotted, kube_object, pod_spec, release, walk

VM_GROUP = "operator.victoriametrics.com"
# Operator resources, and the parts of their spec that each become pods.
VM_COMPONENTS: dict[str, tuple[str, ...]] = {
    "VMSingle": ("",),
    "VMAgent": ("",),
    "VMAlert": ("",),
    "VMAlertmanager": ("",),
    "VMAuth": ("",),
    "VMCluster": ("vmstorage", "vmselect", "vminsert"),
}


@dataclass(frozen=True)
class Pod:
    """One kind of pod: its settings with where they are written, or why they cannot be known."""

    where: str
    """How violations name it inside the resource (`workload alertmanager`, `component vmstorage`)."""
    pod_security: dict | None
    resources: tuple[tuple[str, object], ...] = ()
    """(where, value) of every container's `resources`."""
    security: tuple[tuple[str, dict], ...] = ()
    """(where, value) of every container's `securityContext`."""
    host_namespaces: tuple[str, ...] = ()
    strict_security: bool = False
    """An operator hardens it (VictoriaMetrics' `useStrictSecurity`)."""
    no_security_values: bool = False
    runs_as_root: str | None = None
    privileged: str | None = None


@dataclass(frozen=True)
class Subject:
    """A resource that runs pods: how violations name it, and its pods."""

    name: str
    pods: tuple[Pod, ...]
    unknown_chart: str | None = None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _release_pods(rel: Release, profile: charts.ChartProfile) -> tuple[Pod, ...]:
    return tuple(
        Pod(
            where=f"workload {workload.name}",
            pod_security=_dict(dig(rel.values, workload.pod_security)) if workload.pod_security else None,
            resources=tuple((f"values.{dotted(p)}", dig(rel.values, p)) for p in workload.resources),
            security=tuple((f"values.{dotted(p)}", _dict(dig(rel.values, p))) for p in workload.container_security),
            no_security_values=workload.pod_security is None and not workload.container_security,
            runs_as_root=workload.runs_as_root,
            privileged=workload.privileged,
        )
        for workload in profile.rendered(rel.values)
    )


def _workload_pods(obj: KubeObject, pod: dict) -> tuple[Pod, ...]:
    found = list(containers(pod))
    hosts = tuple(key for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key) is True)
    return (
        Pod(
            where="",
            pod_security=_dict(pod.get("securityContext")),
            resources=tuple((f"{where}.resources", c.get("resources")) for where, c in found),
            security=tuple((f"{where}.securityContext", _dict(c.get("securityContext"))) for where, c in found),
            host_namespaces=hosts,
        ),
    )


def _operator_pods(obj: KubeObject) -> tuple[Pod, ...]:
    spec = obj.spec
    strict = spec.get("useStrictSecurity") is True
    pods = []
    for component in VM_COMPONENTS[obj.kind]:
        node = spec if not component else spec.get(component)
        if not isinstance(node, dict):
            continue
        at = f"spec.{component}." if component else "spec."
        security = _dict(node.get("securityContext")) or _dict(spec.get("securityContext"))
        pods.append(
            Pod(
                where=f"component {component}" if component else "",
                pod_security=security,
                resources=((f"{at}resources", node.get("resources")),),
                security=((f"{at}securityContext", security),),
                strict_security=strict,
            )
        )
    return tuple(pods)


def subject(resource_type: str, props: object, resource_name: str) -> Subject | None:
    """The pods a resource runs, or None for a resource that runs none."""
    rel = release(resource_type, props, resource_name)
    if rel is not None:
        profile = charts.profile(rel.chart_name)
        if profile is None:
            return Subject(rel.subject, (), unknown_chart=rel.chart_name)
        return Subject(rel.subject, _release_pods(rel, profile))
    obj = kube_object(resource_type, props, resource_name)
    if obj is None:
        return None
    pod = pod_spec(obj)
    if pod is not None:
        return Subject(obj.subject, _workload_pods(obj, pod))
    if obj.group == VM_GROUP and obj.kind in VM_COMPONENTS:
        return Subject(obj.subject, _operator_pods(obj))
    return None


def image_settings(resource_type: str, props: object, resource_name: str) -> Iterator[tuple[str, str, object]]:
    """(resource, path, setting) of every image a resource names: in chart values, object specs or containers."""
    rel = release(resource_type, props, resource_name)
    if rel is not None:
        name, root, prefix = rel.subject, rel.values, ("values",)
    else:
        obj = kube_object(resource_type, props, resource_name)
        if obj is None or obj.kind in ("Secret", "ConfigMap"):
            return
        name, root, prefix = obj.subject, obj.body, ()
    for path, value in walk(root):
        if path and (path[-1] == "image" or path[-1].endswith("Image")) and isinstance(value, (str, dict)):
            yield name, dotted((*prefix, *path)), value
