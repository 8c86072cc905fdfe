"""Chaos guardrails: no experiment against production without a named approver; every experiment bounded.

Litmus runs what ChaosEngine objects (and the engines ChaosSchedule objects stamp out) describe: the target
application (`appinfo` or `selectors`) and, per experiment, environment variables such as TOTAL_CHAOS_DURATION
and PODS_AFFECTED_PERC. Those are what bound an experiment's blast radius, so they must be written down.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

import yaml
from alerting_facts.names import CHAOS_APPROVED_LABEL, CHAOS_APPROVER_ANNOTATION, CHAOS_TEMPLATE_LABEL
from pulumi_policy import Severity

from . import environment
from .framework import Reporter, resource_policy
from .values import KubeObject, kube_object

LITMUS_GROUP = "litmuschaos.io"
# An approval is a label (selectable: `kubectl get chaosengines -l ...`) plus the approver in an annotation, since
# label values cannot hold an e-mail address. The program writes both from the catalog's `approval`.
APPROVAL_LABEL = CHAOS_APPROVED_LABEL
APPROVER_ANNOTATION = CHAOS_APPROVER_ANNOTATION
PRODUCTION_NAMESPACES = ["prod", "prod-*", "*-prod", "production", "production-*", "*-production"]
NODE_FAULTS = ["node-*", "kubelet-service-kill", "docker-service-kill", "containerd-service-kill"]
WHOLE_WORKLOAD_FAULTS = ["pod-network-partition"]
"""Faults that act on every pod the engine selects (a NetworkPolicy on the app label): they read no PODS_AFFECTED_PERC."""
TEMPLATE_LABEL = CHAOS_TEMPLATE_LABEL
"""A ConfigMap holding the ChaosEngine a CronJob creates on each scheduled run (`engine.yaml`)."""


@dataclass(frozen=True)
class Engine:
    """A chaos engine spec: a ChaosEngine's own, or the template a ChaosSchedule stamps engines from."""

    obj: KubeObject
    where: str
    spec: dict


def engines(resource_type: str, props: object, name: str) -> Iterator[Engine]:
    obj = kube_object(resource_type, props, name)
    if obj is None:
        return
    if obj.kind == "ConfigMap" and obj.api_version == "v1" and str(obj.labels.get(TEMPLATE_LABEL)) == "true":
        # The engines a schedule stamps out are checked where they are written down: the template.
        try:
            template = yaml.safe_load(str((obj.body.get("data") or {}).get("engine.yaml") or ""))
        except yaml.YAMLError:
            template = None
        if isinstance(template, dict) and isinstance(template.get("spec"), dict):
            meta = template.get("metadata") if isinstance(template.get("metadata"), dict) else {}
            as_engine = KubeObject(obj.api_version, obj.kind, obj.name, obj.namespace, {"metadata": meta, "spec": template["spec"]})
            yield Engine(as_engine, "data.engine.yaml spec", template["spec"])
        return
    if obj.group != LITMUS_GROUP:
        return
    if obj.kind == "ChaosEngine":
        yield Engine(obj, "spec", obj.spec)
    elif obj.kind == "ChaosSchedule" and isinstance(obj.spec.get("engineTemplateSpec"), dict):
        yield Engine(obj, "spec.engineTemplateSpec", obj.spec["engineTemplateSpec"])


def target_namespaces(engine: Engine) -> list[str]:
    """The namespaces an engine's experiments act on (the engine's own when it names none)."""
    spec = engine.spec
    found = []
    appinfo = spec.get("appinfo") or {}
    if appinfo.get("appns"):
        found.append(str(appinfo["appns"]))
    selectors = spec.get("selectors") or {}
    for entry in (selectors.get("workloads") or []) + (selectors.get("pods") or []):
        if isinstance(entry, dict) and entry.get("namespace"):
            found.append(str(entry["namespace"]))
    return found or [engine.obj.namespace or "default"]


def check_approval(args, config: dict, report: Reporter) -> None:
    for engine in engines(args.resource_type, args.props, args.name):
        production = environment.is_production(config)
        targets = [
            ns for ns in target_namespaces(engine)
            if production or any(fnmatchcase(ns, p) for p in config["productionNamespaces"])
        ]
        if not targets:
            continue
        label, annotation = config["approvalLabel"], config["approverAnnotation"]
        approved = str(engine.obj.labels.get(label) or "").strip().lower() == "true"
        approver = str(engine.obj.annotations.get(annotation) or "").strip()
        if not (approved and approver):
            reason = f"stack {environment.environment()} is production" if production else "production namespaces"
            report(
                engine.obj.subject,
                f"runs chaos in {', '.join(sorted(set(targets)))} ({reason}) without approval: "
                f'label it `{label}: "true"` and name the approver in the annotation `{annotation}`',
                "metadata.labels" if not approved else "metadata.annotations",
                args.urn,
            )


PRODUCTION_APPROVAL = resource_policy(
    "chaos-production-approval",
    "No chaos experiment runs against a production namespace without an explicit approval label.",
    check_approval,
    severity=Severity.CRITICAL,
    schema={
        **environment.PRODUCTION_SCHEMA,
        "approvalLabel": {"type": "string", "default": APPROVAL_LABEL, "description": "label set to \"true\" on approved experiments"},
        "approverAnnotation": {"type": "string", "default": APPROVER_ANNOTATION, "description": "annotation naming who approved"},
        "productionNamespaces": {
            "type": "array",
            "items": {"type": "string"},
            "default": PRODUCTION_NAMESPACES,
            "description": "namespaces (globs) that are production in any environment; in a production stack every namespace is",
        },
    },
    remediation="Have the service's owner approve the experiment: the catalog's `approval` writes the label and annotation.",
)


def _env(experiment: dict) -> dict[str, str]:
    components = ((experiment.get("spec") or {}).get("components") or {})
    return {str(e.get("name")): str(e.get("value", "")) for e in components.get("env") or [] if isinstance(e, dict)}


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def blast_radius_problems(engine: Engine, config: dict) -> Iterator[tuple[str, str]]:
    """(where, problem) of everything that leaves an engine's blast radius open."""
    spec = engine.spec
    appinfo = spec.get("appinfo") or {}
    selectors = spec.get("selectors") or {}
    targeted = bool(appinfo.get("applabel")) or any(
        isinstance(e, dict) and (e.get("names") or e.get("labels"))
        for e in (selectors.get("workloads") or []) + (selectors.get("pods") or [])
    )
    if not targeted:
        yield f"{engine.where}.appinfo", "selects no application (appinfo.applabel or selectors), so it may hit every workload of the namespace"
    experiments = spec.get("experiments") or []
    if not experiments:
        yield f"{engine.where}.experiments", "names no experiment"
    for index, experiment in enumerate(experiments):
        if not isinstance(experiment, dict):
            continue
        name = str(experiment.get("name", ""))
        at = f"{engine.where}.experiments[{index}] {name}"
        env = _env(experiment)
        node = any(fnmatchcase(name, p) for p in NODE_FAULTS)
        if node and not config["allowNodeFaults"]:
            yield at, "is a node-level fault: its blast radius is every pod on the node"
        if node:
            yield from _one_node_problems(at, env)
        duration = _number(env.get("TOTAL_CHAOS_DURATION"))
        if duration is None:
            yield at, "sets no TOTAL_CHAOS_DURATION"
        elif duration > config["maxDurationSeconds"]:
            yield at, f"lasts {duration:g}s, longer than {config['maxDurationSeconds']}s"
        if any(fnmatchcase(name, p) for p in WHOLE_WORKLOAD_FAULTS):
            if 100 > config["maxPodsAffectedPercent"]:
                yield at, f"affects every pod of the application (100%), more than {config['maxPodsAffectedPercent']}%"
        elif name.startswith(("pod-", "container-", "disk-")):
            share = _number(env.get("PODS_AFFECTED_PERC"))
            if env.get("TARGET_PODS"):
                continue
            if share is None:
                yield at, "sets neither PODS_AFFECTED_PERC nor TARGET_PODS"
            elif not 0 < share <= config["maxPodsAffectedPercent"]:
                yield at, f"affects {share:g}% of the pods, more than {config['maxPodsAffectedPercent']}%"


def _one_node_problems(at: str, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """A node fault takes at most one node: one TARGET_NODE(S) name, or none and NODES_AFFECTED_PERC 0 (litmus-go
    then picks exactly one, pkg/utils/common/nodes.go)."""
    named = [n for n in (env.get("TARGET_NODES") or env.get("TARGET_NODE") or "").split(",") if n.strip()]
    if len(named) > 1:
        yield at, f"targets {len(named)} nodes at once; at most one"
    share = _number(env.get("NODES_AFFECTED_PERC"))
    if not named and share not in (None, 0.0):
        yield at, f"affects {share:g}% of the nodes; set NODES_AFFECTED_PERC to 0 so that one node is hit"


def check_blast_radius(args, config: dict, report: Reporter) -> None:
    for engine in engines(args.resource_type, args.props, args.name):
        for where, problem in blast_radius_problems(engine, config):
            report(engine.obj.subject, problem, where, args.urn)


BLAST_RADIUS = resource_policy(
    "chaos-blast-radius",
    "Every chaos experiment targets named workloads, for a bounded time, on a bounded share of their pods.",
    check_blast_radius,
    severity=Severity.HIGH,
    schema={
        "maxDurationSeconds": {"type": "number", "default": 600, "description": "longest TOTAL_CHAOS_DURATION"},
        "maxPodsAffectedPercent": {"type": "number", "default": 50, "description": "largest PODS_AFFECTED_PERC"},
        "allowNodeFaults": {"type": "boolean", "default": False, "description": "allow node-level faults (node-drain, ...)"},
    },
    remediation="Set appinfo.applabel, TOTAL_CHAOS_DURATION and PODS_AFFECTED_PERC (or TARGET_PODS) on every experiment.",
)

POLICIES = [PRODUCTION_APPROVAL, BLAST_RADIUS]
