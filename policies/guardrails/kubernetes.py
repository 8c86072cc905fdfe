"""Kubernetes hygiene: sized containers, no privileges, no root, pinned images, pinned Helm charts."""

from __future__ import annotations

import re

from pulumi_policy import Severity

from . import charts, workloads
from .framework import Reporter, resource_policy
from .values import Release, Unknown, dotted, release, walk

# --- Requests and limits ---------------------------------------------------------------------------------------

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$")
_FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def quantity(value: object) -> float | None:
    """A Kubernetes quantity (`512Mi`, `0.5`, `100m`) as a number, or None."""
    match = _QUANTITY.match(str(value)) if isinstance(value, (str, int, float)) else None
    return float(match.group(1)) * _FACTORS[match.group(2)] if match else None


def sizing_problems(resources: object, require_cpu_limit: bool) -> list[str]:
    """What is missing from one container's `resources`."""
    if isinstance(resources, Unknown):
        return []
    if not isinstance(resources, dict) or not resources:
        return ["no requests or limits"]
    requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
    limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
    needed = [("requests", "cpu", requests), ("requests", "memory", requests), ("limits", "memory", limits)]
    if require_cpu_limit:
        needed.append(("limits", "cpu", limits))
    problems = [f"no {kind}.{name}" for kind, name, node in needed if node.get(name) in (None, "")]
    request, limit = quantity(requests.get("memory")), quantity(limits.get("memory"))
    if request is not None and limit is not None and limit < request:
        problems.append("limits.memory is below requests.memory")
    return problems


def pods(args, report: Reporter, settings: str) -> workloads.Subject | None:
    """The pods a resource runs; a chart without a profile is reported, since where it takes `settings` is unknown."""
    found = workloads.subject(args.resource_type, args.props, args.name)
    if found is not None and found.unknown_chart:
        report(found.name, charts.unknown_chart(found.unknown_chart, settings), urn=args.urn)
    return found


def check_requests_and_limits(args, config: dict, report: Reporter) -> None:
    found = pods(args, report, "container resources")
    if found is None:
        return
    for pod in found.pods:
        for at, resources in pod.resources:
            problems = sizing_problems(resources, config["requireCpuLimit"])
            if problems:
                report(found.name, f"set requests and limits at `{at}`: {'; '.join(problems)}", pod.where, args.urn)


REQUESTS_AND_LIMITS = resource_policy(
    "kubernetes-requests-and-limits",
    "Every container sets CPU and memory requests and a memory limit, in the values or spec where they apply.",
    check_requests_and_limits,
    severity=Severity.MEDIUM,
    schema={
        "requireCpuLimit": {
            "type": "boolean",
            "default": False,
            "description": "also require a CPU limit (off by default: CPU limits throttle bursts that requests already share fairly)",
        }
    },
    remediation="Set `resources.requests.cpu`, `resources.requests.memory` and `resources.limits.memory` where the message says.",
)

# --- Privileges ----------------------------------------------------------------------------------------------

RESTRICTED_CAPABILITIES = ["NET_BIND_SERVICE"]


def privilege_problems(context: dict, allowed_capabilities: list[str]) -> list[str]:
    """What a container security context allows beyond an unprivileged container."""
    problems = []
    if context.get("privileged") is True:
        problems.append("privileged: true")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    added = (context.get("capabilities") or {}).get("add") if isinstance(context.get("capabilities"), dict) else None
    extra = sorted(str(c) for c in (added or []) if str(c).upper().removeprefix("CAP_") not in allowed_capabilities)
    if extra:
        problems.append(f"adds capabilities {', '.join(extra)}")
    return problems


def check_no_privileged(args, config: dict, report: Reporter) -> None:
    found = pods(args, report, "container security contexts")
    if found is None:
        return
    allowed = [str(c).upper() for c in config["allowedCapabilities"]]
    for pod in found.pods:
        if pod.privileged:
            report(found.name, f"runs a privileged container: {pod.privileged}", pod.where, args.urn)
        if pod.no_security_values:
            report(
                found.name,
                "the chart offers no security-context values, so privilege escalation stays allowed",
                pod.where,
                args.urn,
            )
        for host in pod.host_namespaces:
            report(found.name, f"shares the host's namespaces ({host}: true)", pod.where, args.urn)
        if pod.strict_security:
            continue
        for at, context in pod.security:
            problems = privilege_problems(context, allowed)
            if problems:
                report(found.name, f"`{at}`: {'; '.join(problems)}", pod.where, args.urn)
    rel = release(args.resource_type, args.props, args.name)
    if rel is not None:
        judged = {at for pod in found.pods for at, _ in pod.security}
        for path, value in walk(rel.values):
            if f"values.{dotted(path[:-1])}" in judged:
                continue
            if path and path[-1] in ("privileged", "hostNetwork", "hostPID", "hostIPC") and value is True:
                report(found.name, f"`values.{dotted(path)}: true` grants host privileges", urn=args.urn)


NO_PRIVILEGED = resource_policy(
    "kubernetes-no-privileged-containers",
    "No container is privileged, escalates privileges, adds capabilities or shares the host's namespaces (Falco is the named exception).",
    check_no_privileged,
    severity=Severity.CRITICAL,
    schema={
        "allowedCapabilities": {
            "type": "array",
            "items": {"type": "string"},
            "default": RESTRICTED_CAPABILITIES,
            "description": "capabilities a container may add (the restricted Pod Security Standard allows NET_BIND_SERVICE)",
        }
    },
    remediation="Set `allowPrivilegeEscalation: false` and `capabilities: {drop: [ALL]}` in the container security context; "
    "a workload that truly needs privileges asks for an exception in policies/exceptions.yaml.",
)

# --- Non-root ------------------------------------------------------------------------------------------------


def root_problem(pod_context: dict, context: dict) -> str | None:
    """Why a container may run as root, given the pod's and the container's security contexts, or None."""
    user = context.get("runAsUser", pod_context.get("runAsUser"))
    if user == 0:
        return "runAsUser: 0"
    non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
    if non_root is not True:
        return "runAsNonRoot is not true (neither the pod nor the container sets it)"
    return None


def check_non_root(args, config: dict, report: Reporter) -> None:
    found = pods(args, report, "security contexts")
    if found is None:
        return
    for pod in found.pods:
        if pod.runs_as_root:
            report(found.name, f"runs as root: {pod.runs_as_root}", pod.where, args.urn)
            continue
        if pod.no_security_values:
            report(found.name, "the chart offers no security-context values, so nothing shows it runs as non-root",
                   pod.where, args.urn)
            continue
        if pod.strict_security:
            continue
        pod_context = pod.pod_security or {}
        contexts = pod.security or (("(no container security context)", {}),)
        for at, context in contexts:
            problem = root_problem(pod_context, context)
            if problem:
                report(found.name, f"may run as root at `{at}`: {problem}", pod.where, args.urn)


NON_ROOT = resource_policy(
    "kubernetes-non-root",
    "Every container runs as a non-root user, stated in the pod or container security context.",
    check_non_root,
    severity=Severity.HIGH,
    remediation="Set `runAsNonRoot: true` (and a non-zero `runAsUser`) in the pod or container security context.",
)

# --- Images --------------------------------------------------------------------------------------------------

FORBIDDEN_TAGS = ["latest", "main", "master", "edge", "nightly"]


def image_problem(setting: object, forbidden: list[str]) -> str | None:
    """Why an image setting is not pinned, or None. A map without a tag leaves the chart's pinned default."""
    if isinstance(setting, Unknown):
        return None
    if isinstance(setting, str):
        if not setting:
            return None
        reference = setting.split("@", 1)
        if len(reference) == 2:
            return None
        name = reference[0]
        tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None
        if tag is None:
            return f"image {name} has no tag, so it pulls `latest`"
        return f"image {name} uses the moving tag `{tag}`" if tag.lower() in forbidden else None
    if isinstance(setting, dict):
        tag, digest = setting.get("tag"), setting.get("digest") or setting.get("sha")
        if digest or tag is None or isinstance(tag, Unknown):
            return None
        if tag in ("", "-"):
            return "the image tag is empty, so it pulls `latest`" if tag == "-" else None
        return f"the image uses the moving tag `{tag}`" if str(tag).lower() in forbidden else None
    return None


def check_pinned_images(args, config: dict, report: Reporter) -> None:
    forbidden = [str(t).lower() for t in config["forbiddenTags"]]
    for subject_, path, setting in workloads.image_settings(args.resource_type, args.props, args.name):
        problem = image_problem(setting, forbidden)
        if problem:
            report(subject_, f"`{path}`: {problem}; pin a version tag or a digest", urn=args.urn)


PINNED_IMAGES = resource_policy(
    "kubernetes-pinned-images",
    "No image is untagged or uses a moving tag such as `latest`.",
    check_pinned_images,
    severity=Severity.HIGH,
    schema={
        "forbiddenTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": FORBIDDEN_TAGS,
            "description": "tags that move and so pin nothing",
        }
    },
    remediation="Pin the image to a version tag or a digest (`image: repo:1.2.3` or `{repository: repo, tag: 1.2.3}`).",
)

# --- Helm releases -------------------------------------------------------------------------------------------

_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def release_problems(rel: Release, config: dict) -> list[str]:
    """Why a release is not pinned to one chart version from one known repository."""
    problems = []
    version = rel.version
    if not isinstance(version, Unknown) and (not isinstance(version, str) or not _EXACT_VERSION.match(version)):
        problems.append(
            f"chart version {version!r} is not one exact version (a missing version or a range installs whatever is newest)"
            if version else "no chart version: Helm installs whatever is newest"
        )
    oci = rel.chart.startswith("oci://")
    repository = rel.chart if oci else rel.repository
    if isinstance(repository, Unknown):
        return problems
    if not repository:
        problems.append(f"chart {rel.chart} names no repository (set `repository_opts.repo` or an `oci://` chart)")
        return problems
    if config["requireHttps"] and not str(repository).startswith(("https://", "oci://")):
        problems.append(f"repository {repository} is not fetched over HTTPS")
    allowed = config["allowedRepositories"]
    if allowed and not any(str(repository).startswith(prefix) for prefix in allowed):
        problems.append(f"repository {repository} is not one of the allowed repositories")
    return problems


def check_pinned_releases(args, config: dict, report: Reporter) -> None:
    rel = release(args.resource_type, args.props, args.name)
    if rel is None:
        return
    for problem in release_problems(rel, config):
        report(rel.subject, f"{problem} (chart {rel.chart_name})", urn=args.urn)


PINNED_RELEASES = resource_policy(
    "helm-pinned-releases",
    "Every Helm release names its chart repository and one exact chart version.",
    check_pinned_releases,
    severity=Severity.HIGH,
    schema={
        "requireHttps": {"type": "boolean", "default": True, "description": "repositories must be https:// or oci://"},
        "allowedRepositories": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "URL prefixes charts may come from (empty: any), e.g. an internal mirror",
        },
    },
    remediation="Set `version` to one exact chart version and `repository_opts.repo` to the chart's repository.",
)

POLICIES = [REQUESTS_AND_LIMITS, NO_PRIVILEGED, NON_ROOT, PINNED_IMAGES, PINNED_RELEASES]
