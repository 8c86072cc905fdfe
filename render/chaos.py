"""Chaos experiments -> Litmus objects in the target namespaces, the alerts that read their results, and guardrails.

Each experiment becomes a ChaosEngine in its service's namespace, beside the ChaosExperiment that defines the fault
and the service account the runner uses. The chaos exporter's metrics drive two alerts per experiment: a failed
run (a weakness found) and "chaos in progress", which Alertmanager uses to hold back the expected symptoms.
"""

from __future__ import annotations

from collections.abc import Iterator

from model.base import Duration
from model.catalog import Organisation, Service, Severity, Team
from model.chaos import ChaosExperiment, ChaosFault
from model.errors import Loc
from model.settings import Settings
from render.inhibition import CHAOS_RUNNING
from render.rules import alert
from render.topology import metrics_query_url

LITMUS_API = "litmuschaos.io/v1alpha1"
LITMUS_VERSION = "3.28.0"
"""The Litmus release the runner and exporter images come from: the litmus-core chart's appVersion."""
RUNNER_IMAGE = f"docker.io/litmuschaos/go-runner:{LITMUS_VERSION}"
SERVICE_ACCOUNT = "litmus-chaos"
PART_OF = "alerting-platform"
APPROVED_LABEL = "chaos.alerting-platform.io/approved"
ENVIRONMENT_LABEL = "alerting-platform.io/environment"

# What the runner may touch in the target namespace: the union of the upstream fault definitions' permissions.
PERMISSIONS = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "get", "list", "patch", "update", "deletecollection"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "get", "list", "patch", "update"]},
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "list", "create"]},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "replicasets", "daemonsets"], "verbs": ["list", "get"]},
    {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "list", "get", "delete", "deletecollection"]},
    {
        "apiGroups": ["litmuschaos.io"],
        "resources": ["chaosengines", "chaosexperiments", "chaosresults"],
        "verbs": ["create", "list", "get", "patch", "update", "delete"],
    },
]

# Fault-invariant settings of each definition; the per-experiment values go into the ChaosEngine.
_RUNTIME = [
    {"name": "CONTAINER_RUNTIME", "value": "containerd"},
    {"name": "SOCKET_PATH", "value": "/run/containerd/containerd.sock"},
    {"name": "LIB_IMAGE", "value": RUNNER_IMAGE},
]
_DEFINITION_ENV: dict[ChaosFault, list[dict]] = {
    ChaosFault.pod_delete: [{"name": "FORCE", "value": "false"}, {"name": "CHAOS_INTERVAL", "value": "10"}],
    ChaosFault.pod_network_latency: [*_RUNTIME, {"name": "NETWORK_INTERFACE", "value": "eth0"}, {"name": "JITTER", "value": "0"}],
    ChaosFault.pod_network_loss: [*_RUNTIME, {"name": "NETWORK_INTERFACE", "value": "eth0"}],
    ChaosFault.pod_cpu_hog: [*_RUNTIME, {"name": "CPU_LOAD", "value": "100"}],
    ChaosFault.pod_memory_hog: [*_RUNTIME, {"name": "NUMBER_OF_WORKERS", "value": "1"}],
}


def runs_here(experiment: ChaosExperiment, settings: Settings) -> bool:
    return settings.chaos.enabled and settings.environment in experiment.environments


def _experiments(org: Organisation, settings: Settings) -> Iterator[tuple[int, int, Team, ChaosExperiment, Service]]:
    for ti, team in enumerate(org.teams):
        for ci, experiment in enumerate(team.chaos_experiments):
            if runs_here(experiment, settings):
                yield ti, ci, team, experiment, org.service(experiment.service)


def guardrail_problems(org: Organisation, settings: Settings) -> list[tuple[Loc, str]]:
    """Experiments this environment would run but must not: production needs approval and a bounded blast radius."""
    if not settings.production:
        return []
    problems: list[tuple[Loc, str]] = []
    bound = settings.chaos
    for ti, ci, _, experiment, _ in _experiments(org, settings):
        loc = ("teams", ti, "chaos_experiments", ci)
        env = settings.environment
        if experiment.approval is None:
            problems.append(((*loc, "approval"), f"required: {env!r} is a production environment"))
        if experiment.pods_affected_percent > bound.max_pods_affected_percent:
            problems.append(
                ((*loc, "pods_affected_percent"), f"at most {bound.max_pods_affected_percent} in production environment {env!r}")
            )
        if experiment.duration > bound.max_duration:
            problems.append(((*loc, "duration"), f"at most {bound.max_duration} in production environment {env!r}"))
    return problems


def _env(experiment: ChaosExperiment) -> list[dict]:
    env = [
        {"name": "TOTAL_CHAOS_DURATION", "value": str(int(experiment.duration.seconds))},
        {"name": "PODS_AFFECTED_PERC", "value": str(experiment.pods_affected_percent)},
        {"name": "SEQUENCE", "value": "parallel"},
    ]
    if experiment.fault == ChaosFault.pod_network_latency:
        latency = experiment.network_latency or Duration.of(seconds=2)
        env.append({"name": "NETWORK_LATENCY", "value": str(latency.milliseconds)})
    elif experiment.fault == ChaosFault.pod_network_loss:
        env.append({"name": "NETWORK_PACKET_LOSS_PERCENTAGE", "value": str(experiment.packet_loss_percent or 100)})
    elif experiment.fault == ChaosFault.pod_cpu_hog:
        env.append({"name": "CPU_CORES", "value": str(experiment.cpu_cores or 1)})
    elif experiment.fault == ChaosFault.pod_memory_hog:
        env.append({"name": "MEMORY_CONSUMPTION", "value": str(experiment.memory_mb or 500)})
    return env


def _labels(team: Team, experiment: ChaosExperiment, settings: Settings) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/part-of": PART_OF,
        "alerting-platform.io/team": team.name,
        "alerting-platform.io/service": experiment.service,
        ENVIRONMENT_LABEL: settings.environment,
    }
    if experiment.approval is not None:
        labels[APPROVED_LABEL] = "true"
    return labels


def chaos_engine(team: Team, experiment: ChaosExperiment, service: Service, settings: Settings) -> dict:
    annotations = {"chaos.alerting-platform.io/pods-affected-percent": str(experiment.pods_affected_percent)}
    if experiment.approval is not None:
        annotations["chaos.alerting-platform.io/approved-by"] = experiment.approval.by
        annotations["chaos.alerting-platform.io/ticket"] = experiment.approval.ticket
    spec_experiment: dict = {"name": experiment.fault.value, "spec": {"components": {"env": _env(experiment)}}}
    if experiment.steady_state is not None:
        spec_experiment["spec"]["probe"] = [
            {
                "name": f"{experiment.name}-steady-state",
                "type": "promProbe",
                "mode": "Continuous",
                "runProperties": {"probeTimeout": "5s", "interval": "10s", "attempt": 3, "stopOnFailure": True},
                "promProbe/inputs": {
                    "endpoint": metrics_query_url(settings),
                    "query": experiment.steady_state.query,
                    "comparator": {
                        "criteria": experiment.steady_state.comparator,
                        "value": repr(float(experiment.steady_state.value)),
                    },
                },
            }
        ]
    return {
        "apiVersion": LITMUS_API,
        "kind": "ChaosEngine",
        "metadata": {
            "name": experiment.name,
            "namespace": service.namespace,
            "labels": _labels(team, experiment, settings),
            "annotations": annotations,
        },
        "spec": {
            "engineState": "active",
            "appinfo": {
                "appns": service.namespace,
                "applabel": ",".join(f"{k}={v}" for k, v in service.pod_selector.items()),
                "appkind": "deployment",
            },
            "chaosServiceAccount": SERVICE_ACCOUNT,
            "jobCleanUpPolicy": "delete",
            "experiments": [spec_experiment],
        },
    }


def chaos_experiment_definition(fault: ChaosFault, namespace: str) -> dict:
    return {
        "apiVersion": LITMUS_API,
        "kind": "ChaosExperiment",
        "metadata": {"name": fault.value, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {
            "definition": {
                "scope": "Namespaced",
                "permissions": PERMISSIONS,
                "image": RUNNER_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/bash"],
                "args": ["-c", f"./experiments -name {fault.value}"],
                "env": _DEFINITION_ENV[fault],
                "labels": {"name": fault.value, "app.kubernetes.io/part-of": PART_OF},
            }
        },
    }


def _runner_access(namespace: str) -> list[dict]:
    meta = {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": PART_OF}}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": dict(meta), "rules": PERMISSIONS},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": dict(meta),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SERVICE_ACCOUNT},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}],
        },
    ]


def chaos_objects(org: Organisation, settings: Settings) -> tuple[dict, ...]:
    """Every Litmus object this environment runs, grouped per namespace: runner access, fault definitions, engines."""
    by_namespace: dict[str, list[tuple[Team, ChaosExperiment, Service]]] = {}
    for _, _, team, experiment, service in _experiments(org, settings):
        by_namespace.setdefault(service.namespace, []).append((team, experiment, service))
    objects: list[dict] = []
    for namespace in sorted(by_namespace):
        entries = by_namespace[namespace]
        objects.extend(_runner_access(namespace))
        for fault in sorted({e.fault for _, e, _ in entries}):
            objects.append(chaos_experiment_definition(fault, namespace))
        for team, experiment, service in sorted(entries, key=lambda e: e[1].name):
            objects.append(chaos_engine(team, experiment, service, settings))
    return tuple(objects)


def chaos_rules(org: Organisation, settings: Settings) -> dict[str, dict]:
    """Per team, a rule file with the alerts that read each running experiment's results."""
    files: dict[str, dict] = {}
    for team in org.teams:
        rules = []
        for experiment in team.chaos_experiments:
            if not runs_here(experiment, settings):
                continue
            service = org.service(experiment.service)
            sel = f'{{chaosresult_namespace="{service.namespace}", chaosengine_name="{experiment.name}"}}'
            rules.append(
                alert(
                    org, team, service,
                    name="ChaosExperimentFailed",
                    expr=f"max(increase(litmuschaos_failed_experiments{sel}[30m])) > 0",
                    severity=Severity.warning,
                    summary=f"{service.name}: chaos experiment {experiment.name} found a weakness",
                    description=f"The {experiment.fault.value} experiment {experiment.name} against {service.name} "
                    "failed its checks: the service did not keep its steady state under the fault.",
                    labels={"chaos_experiment": experiment.name},
                )
            )
            rules.append(
                alert(
                    org, team, service,
                    name=CHAOS_RUNNING,
                    expr=f"max(litmuschaos_awaited_experiments{sel}) == 1",
                    severity=Severity.info,
                    summary=f"{service.name}: chaos experiment {experiment.name} is injecting {experiment.fault.value}",
                    description="Symptoms of this service are expected while the experiment runs; "
                    "Alertmanager holds back its warnings until it ends.",
                    labels={"chaos_experiment": experiment.name},
                )
            )
        if rules:
            files[f"chaos-{team.name}.yaml"] = {"groups": [{"name": f"{team.name}-chaos", "rules": rules}]}
    return files
