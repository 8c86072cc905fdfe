"""What the engine hands a policy, as plain values: Helm releases, Kubernetes objects, their pods and containers.

The engine presents properties as read-only proxies whose unknown values (outputs of resources not created
yet, during a preview) raise on access. `plain()` copies them into dicts and lists with every unknown replaced
by an `Unknown`, so one unknown namespace does not stop a policy from judging everything else; `known()`
raises the engine's own error where a policy cannot judge without the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alerting_facts.charts import dig  # noqa: F401  shared with the chart profiles
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

Path = tuple[str, ...]

RELEASE_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
_KUBERNETES_TYPE = re.compile(r"^kubernetes:(?!helm\.sh/)[^:]+:[A-Za-z]+$")


@dataclass(frozen=True)
class Unknown:
    """A value the engine does not know yet (a preview before the resource it comes from exists)."""

    path: Path

    def __str__(self) -> str:
        return "(known after apply)"


def plain(value: Any, path: Path = ()) -> Any:
    """A plain copy of a property value: dicts, lists and scalars, unknowns as `Unknown`."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                item = value[key]
            except UnknownValueError:
                out[key] = Unknown((*path, str(key)))
                continue
            out[key] = plain(item, (*path, str(key)))
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        out_list = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError:
                out_list.append(Unknown((*path, str(index))))
                continue
            out_list.append(plain(item, (*path, str(index))))
        return out_list
    return value


def known(value: Any) -> Any:
    """`value` itself; an unknown raises the engine's error, which reports the policy as not run during preview."""
    if isinstance(value, Unknown):
        raise UnknownValueError(UNKNOWN_STRING_VALUE, list(value.path))
    return value




def dotted(path: Path) -> str:
    return ".".join(path)


def text(value: Any) -> str:
    """A value for a message: unknowns say so, everything else as written."""
    return str(value) if value is not None else "(unset)"


# --- Helm ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """A Helm release (helm.v3.Release) or chart (helm.v4.Chart) as the program configures it."""

    chart: str
    version: Any
    repository: Any
    name: str
    namespace: str
    values: dict

    @property
    def subject(self) -> str:
        return f"Release {self.namespace}/{self.name}"

    @property
    def chart_name(self) -> str:
        """The chart's own name, whether given bare, as `repo/name` or as an OCI reference."""
        chart = str(self.chart).rstrip("/")
        return chart.rsplit("/", 1)[-1].split(":", 1)[0]


def release(resource_type: str, props: Any, resource_name: str) -> Release | None:
    """The release a resource is, or None for any other resource."""
    if resource_type not in RELEASE_TYPES:
        return None
    inputs = plain(props)
    repository_opts = inputs.get("repositoryOpts") or {}
    values = inputs.get("values") or {}
    return Release(
        chart=text(inputs.get("chart")),
        version=inputs.get("version"),
        repository=repository_opts.get("repo") if isinstance(repository_opts, dict) else repository_opts,
        name=text(inputs.get("name") or resource_name),
        namespace=text(inputs.get("namespace") or "default"),
        values=values if isinstance(values, dict) else {},
    )


# --- Kubernetes objects ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KubeObject:
    """A Kubernetes object the program creates directly (built-in kind or custom resource)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    body: dict

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def metadata(self) -> dict:
        meta = self.body.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def spec(self) -> dict:
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def labels(self) -> dict:
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    @property
    def annotations(self) -> dict:
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    @property
    def subject(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def kube_object(resource_type: str, props: Any, resource_name: str) -> KubeObject | None:
    """The Kubernetes object a resource is, or None for Helm releases, components and other providers."""
    if not _KUBERNETES_TYPE.match(resource_type):
        return None
    body = plain(props)
    _, group_version, kind = resource_type.split(":")
    group, _, version = group_version.rpartition("/")
    api_version = body.get("apiVersion") or (version if group == "core" else group_version)
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    namespace = meta.get("namespace")
    return KubeObject(
        api_version=text(api_version),
        kind=text(body.get("kind") or kind),
        name=text(meta.get("name") or resource_name),
        namespace=text(namespace) if namespace else None,
        body=body,
    )


POD_TEMPLATES: dict[str, Path] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def pod_spec(obj: KubeObject) -> dict | None:
    """The pod spec of a workload object, or None for anything that runs no pods itself."""
    if obj.group not in ("", "apps", "batch") or obj.kind not in POD_TEMPLATES:
        return None
    spec = dig(obj.body, POD_TEMPLATES[obj.kind])
    return spec if isinstance(spec, dict) else None


def containers(pod: dict) -> Iterator[tuple[str, dict]]:
    """(`containers[0]`-style path, container) of every container and init container of a pod spec."""
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(pod.get(field) or []):
            if isinstance(container, dict):
                yield f"{field}[{index}] {container.get('name', '')}".rstrip(), container


def walk(node: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) below `node`, depth first, mappings and lists alike."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, str(index)))
