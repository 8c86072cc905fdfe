"""Production high availability: an Alertmanager cluster that survives a drain, metrics stored twice."""

from __future__ import annotations

import math

from pulumi_policy import Severity

from . import environment
from .framework import Reporter, stack_policy
from .values import dig, known, kube_object, release

# Where each Alertmanager chart takes its replica count and its PodDisruptionBudget, and the chart's defaults.
ALERTMANAGER_CHARTS = {
    "alertmanager": (("replicaCount",), ("podDisruptionBudget",), 1),
    "kube-prometheus-stack": (("alertmanager", "alertmanagerSpec", "replicas"), ("alertmanager", "podDisruptionBudget"), 1),
}


def _count(value: object, replicas: int, round_up: bool) -> int | None:
    """A PodDisruptionBudget number (`1` or `"34%"`) as pods."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        share = int(value[:-1]) * replicas / 100
        return math.ceil(share) if round_up else math.floor(share)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def running_during_disruption(pdb: object, replicas: int) -> int | None:
    """How many replicas a PodDisruptionBudget keeps running through a drain; None when it is absent or empty."""
    if not isinstance(pdb, dict) or not pdb or pdb.get("enabled") is False:
        return None
    if pdb.get("maxUnavailable") is not None:
        allowed = _count(pdb["maxUnavailable"], replicas, round_up=False)
        return None if allowed is None else replicas - allowed
    if pdb.get("minAvailable") is not None:
        return _count(pdb["minAvailable"], replicas, round_up=True)
    return None


def count(value: object) -> int | None:
    """A replica count or factor as a number, None when it is not one; an unknown one stops the policy as the engine expects."""
    value = known(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def alertmanagers(resources) -> list[tuple[str, str, int | None, object]]:
    """(subject, urn, replicas, PodDisruptionBudget settings) of every Alertmanager cluster in the stack."""
    found = []
    for res in resources:
        rel = release(res.resource_type, res.props, res.name)
        if rel is not None and rel.chart_name in ALERTMANAGER_CHARTS:
            replicas_at, pdb_at, default = ALERTMANAGER_CHARTS[rel.chart_name]
            replicas = count(dig(rel.values, replicas_at, default))
            found.append((rel.subject, res.urn, replicas, dig(rel.values, pdb_at)))
            continue
        obj = kube_object(res.resource_type, res.props, res.name)
        if obj is not None and obj.kind == "VMAlertmanager":
            replicas = count(obj.spec.get("replicaCount", 1))
            found.append((obj.subject, res.urn, replicas, obj.spec.get("podDisruptionBudget")))
    return found


def check_alertmanager_ha(args, config: dict, report: Reporter) -> None:
    if not environment.is_production(config):
        args.not_applicable(f"environment {environment.environment()} is not production")
    for subject, urn, replicas, pdb in alertmanagers(args.resources):
        if replicas is None:
            report(subject, "its replica count is not a number", urn=urn)
            continue
        if replicas < config["minReplicas"]:
            report(subject, f"runs {replicas} Alertmanager replicas; production needs at least {config['minReplicas']}", urn=urn)
        running = running_during_disruption(pdb, replicas)
        if running is None:
            report(subject, "has no PodDisruptionBudget, so a node drain may stop every replica at once", urn=urn)
        elif running < config["minRunningDuringDisruption"]:
            report(
                subject,
                f"its PodDisruptionBudget keeps {running} replicas running through a drain; "
                f"keep at least {config['minRunningDuringDisruption']}",
                urn=urn,
            )


ALERTMANAGER_HA = stack_policy(
    "production-alertmanager-ha",
    "In production, every Alertmanager cluster runs at least three replicas behind a PodDisruptionBudget.",
    check_alertmanager_ha,
    severity=Severity.CRITICAL,
    schema={
        **environment.PRODUCTION_SCHEMA,
        "minReplicas": {"type": "integer", "minimum": 1, "default": 3, "description": "replicas each production Alertmanager needs"},
        "minRunningDuringDisruption": {
            "type": "integer",
            "minimum": 1,
            "default": 2,
            "description": "replicas the PodDisruptionBudget must keep running through a voluntary disruption",
        },
    },
    remediation="Set `alertmanager.replicas` to 3 in the production stack's config; the Alertmanager component adds "
    "the PodDisruptionBudget.",
)


def check_vmcluster_replicated(args, config: dict, report: Reporter) -> None:
    if not environment.is_production(config):
        args.not_applicable(f"environment {environment.environment()} is not production")
    minimum = config["minReplicationFactor"]
    for res in args.resources:
        obj = kube_object(res.resource_type, res.props, res.name)
        if obj is None or obj.group != "operator.victoriametrics.com":
            continue
        if obj.kind == "VMSingle":
            report(obj.subject, f"production keeps its metrics on a single node; use a VMCluster with replicationFactor >= {minimum}", urn=res.urn)
        elif obj.kind == "VMCluster":
            factor = count(obj.spec.get("replicationFactor", 1))
            if factor is None:
                report(obj.subject, "replicationFactor is not a number", urn=res.urn)
                continue
            if factor < minimum:
                report(obj.subject, f"replicationFactor is {factor}; production stores every sample at least {minimum} times", urn=res.urn)
            storage = obj.spec.get("vmstorage")
            nodes = count(storage.get("replicaCount", 1)) if isinstance(storage, dict) else 0
            if nodes is not None and nodes < factor:
                report(obj.subject, f"vmstorage runs {nodes} nodes, fewer than replicationFactor {factor}: writes would fail", urn=res.urn)


VMCLUSTER_REPLICATED = stack_policy(
    "production-vmcluster-replicated",
    "In production, metrics live in a VMCluster that stores every sample at least twice.",
    check_vmcluster_replicated,
    severity=Severity.CRITICAL,
    schema={
        **environment.PRODUCTION_SCHEMA,
        "minReplicationFactor": {"type": "integer", "minimum": 1, "default": 2, "description": "copies of every sample"},
    },
    remediation="Set `metrics.mode: cluster` and `metrics.replicationFactor: 2` in the production stack's config.",
)

POLICIES = [ALERTMANAGER_HA, VMCLUSTER_REPLICATED]
